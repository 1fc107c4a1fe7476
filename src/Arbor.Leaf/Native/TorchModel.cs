using System.Buffers;
using Arbor.Signatures.Signatures;

namespace Arbor.Leaf.Native;

/// <summary>
/// One loaded TorchScript module. <see cref="Forward"/> is safe to call from many threads at once
/// (TorchScript modules are immutable at inference time); <see cref="Dispose"/> frees the native
/// module once no call is using it.
/// </summary>
public sealed unsafe class TorchModel : IDisposable
{
    private readonly TorchModelHandle _handle;

    private TorchModel(TorchModelHandle handle, string path, string device, byte[] signatureJson)
    {
        _handle = handle;
        Path = path;
        Device = device;
        SignatureJson = signatureJson;
    }

    public string Path { get; }

    public string Device { get; }

    /// <summary>The bytes of the archive's <c>module_info.json</c> extra file; empty when it has none.</summary>
    public ReadOnlyMemory<byte> SignatureJson { get; }

    /// <summary>Loads an archive onto a device (<c>cpu</c>, <c>cuda</c>, <c>cuda:N</c>).</summary>
    /// <exception cref="TorchException">The archive cannot be read or the device is unavailable.</exception>
    public static TorchModel Load(string path, string device = "cpu")
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentException.ThrowIfNullOrEmpty(device);
        if (!File.Exists(path))
        {
            throw new TorchException(TorchStatus.InvalidArgument, $"loading {path}: no such file");
        }

        TorchRuntime.EnsureConfigured();
        byte* info = null;
        long infoLength = 0;
        byte* error = null;
        int status;
        TorchModelHandle handle;
        try
        {
            status = TorchNative.Load(path, device, out handle, &info, &infoLength, &error);
        }
        catch (Exception e) when (TorchErrors.IsLibraryProblem(e))
        {
            throw TorchErrors.LibraryProblem(e);
        }

        var signature = TorchNative.TakeBytes(info, infoLength);
        if (status != (int)TorchStatus.Ok)
        {
            handle.Dispose();
        }

        TorchErrors.ThrowIfFailed(status, error, $"loading {path} on {device}");
        return new TorchModel(handle, path, device, signature);
    }

    /// <summary>
    /// Runs <c>forward(*inputs)</c> and copies the float32 scores [rows, cols] into <paramref name="output"/>.
    /// </summary>
    /// <exception cref="TorchException">libtorch rejected the inputs or the output does not fit.</exception>
    /// <exception cref="ObjectDisposedException">The model was disposed.</exception>
    public (int Rows, int Cols) Forward(ReadOnlySpan<TensorInput> inputs, Span<float> output)
    {
        var pins = ArrayPool<MemoryHandle>.Shared.Rent(inputs.Length);
        var tensors = inputs.Length <= 16 ? stackalloc NativeTensor[inputs.Length] : new NativeTensor[inputs.Length];
        var shapes = inputs.Length <= 16 ? stackalloc long[inputs.Length * 2] : new long[inputs.Length * 2];
        var pinned = 0;
        try
        {
            fixed (long* shape = shapes)
            fixed (NativeTensor* tensor = tensors)
            fixed (float* scores = output)
            {
                for (var i = 0; i < inputs.Length; i++)
                {
                    var input = inputs[i];
                    pins[i] = input.DType == TensorDType.Float32 ? input.Floats.Pin() : input.Int64s.Pin();
                    pinned++;
                    shape[2 * i] = input.Dim0;
                    shape[(2 * i) + 1] = input.Dim1;
                    tensor[i] = new NativeTensor
                    {
                        Data = pins[i].Pointer,
                        Shape = shape + (2 * i),
                        Rank = input.Rank,
                        DType = input.DType == TensorDType.Float32 ? 0 : 1,
                    };
                }

                long rows = 0;
                long cols = 0;
                byte* error = null;
                int status;
                try
                {
                    status = TorchNative.Forward(_handle, tensor, inputs.Length, scores, output.Length, &rows, &cols, &error);
                }
                catch (Exception e) when (TorchErrors.IsLibraryProblem(e))
                {
                    throw TorchErrors.LibraryProblem(e);
                }

                TorchErrors.ThrowIfFailed(status, error, $"forward of {Path}");
                return ((int)rows, (int)cols);
            }
        }
        finally
        {
            for (var i = 0; i < pinned; i++)
            {
                pins[i].Dispose();
            }

            ArrayPool<MemoryHandle>.Shared.Return(pins, clearArray: true);
        }
    }

    public void Dispose() => _handle.Dispose();
}
