using System.Runtime.InteropServices;

namespace Arbor.Leaf.Native;

/// <summary>Mirror of <c>arbor_tensor</c>: a view of a pinned managed buffer.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NativeTensor
{
    public void* Data;
    public long* Shape;
    public int Rank;
    public int DType;
}
