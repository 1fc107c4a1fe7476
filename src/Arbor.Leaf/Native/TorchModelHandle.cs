using System.Runtime.InteropServices;

namespace Arbor.Leaf.Native;

/// <summary>Owns one native TorchScript module; releasing it frees the module.</summary>
internal sealed class TorchModelHandle : SafeHandle
{
    public TorchModelHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        TorchNative.Free(handle);
        return true;
    }
}
