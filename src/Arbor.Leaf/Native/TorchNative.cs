using System.Runtime.InteropServices;

namespace Arbor.Leaf.Native;

/// <summary>The C ABI of native/arbor_torch (libarbor_torch.so). Every entry point returns a status code.</summary>
internal static unsafe partial class TorchNative
{
    private const string Library = "arbor_torch";

    [LibraryImport(Library, EntryPoint = "arbor_torch_configure")]
    internal static partial int Configure(int intraOpThreads, int interopThreads, int graphOptimize, int* appliedInterop, byte** error);

    [LibraryImport(Library, EntryPoint = "arbor_model_load", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Load(string path, string device, out TorchModelHandle model, byte** moduleInfo, long* moduleInfoLength, byte** error);

    [LibraryImport(Library, EntryPoint = "arbor_model_forward")]
    internal static partial int Forward(
        TorchModelHandle model, NativeTensor* inputs, int inputCount, float* output, long outputCapacity, long* rows, long* cols, byte** error);

    [LibraryImport(Library, EntryPoint = "arbor_model_free")]
    internal static partial void Free(IntPtr model);

    [LibraryImport(Library, EntryPoint = "arbor_string_free")]
    internal static partial void FreeString(byte* text);

    /// <summary>Takes ownership of a native buffer: copies its bytes into a managed array and frees it.</summary>
    internal static byte[] TakeBytes(byte* data, long length)
    {
        if (data is null)
        {
            return [];
        }

        try
        {
            return new ReadOnlySpan<byte>(data, checked((int)length)).ToArray();
        }
        finally
        {
            FreeString(data);
        }
    }

    /// <summary>Takes ownership of a native string: copies it into a managed one and frees it.</summary>
    internal static string? TakeString(byte* text)
    {
        if (text is null)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8((IntPtr)text);
        }
        finally
        {
            FreeString(text);
        }
    }
}
