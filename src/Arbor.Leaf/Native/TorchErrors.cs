namespace Arbor.Leaf.Native;

/// <summary>Turns shim status codes and a missing shim library into <see cref="TorchException"/>s.</summary>
internal static unsafe class TorchErrors
{
    private const string MissingLibraryHint =
        "the libtorch shim libarbor_torch.so could not be loaded; it is built by src/Arbor.Leaf " +
        "(needs libtorch-dev: run scripts/prereqs.sh) and copied next to the application";

    /// <summary>Whether an exception from a P/Invoke means the shim library is missing or stale.</summary>
    public static bool IsLibraryProblem(Exception e) => e is DllNotFoundException or EntryPointNotFoundException;

    /// <summary>The exception to raise when the shim library is missing or stale.</summary>
    public static TorchException LibraryProblem(Exception e) => e is EntryPointNotFoundException
        ? new TorchException(TorchStatus.LibraryMissing, $"libarbor_torch.so is stale (rebuild src/Arbor.Leaf): {e.Message}", e)
        : new TorchException(TorchStatus.LibraryMissing, $"{MissingLibraryHint}: {e.Message}", e);

    public static void ThrowIfFailed(int status, byte* error, string doing)
    {
        var message = TorchNative.TakeString(error);
        if (status == (int)TorchStatus.Ok)
        {
            return;
        }

        var kind = Enum.IsDefined(typeof(TorchStatus), status) ? (TorchStatus)status : TorchStatus.Unknown;
        throw new TorchException(kind, $"{doing}: {message ?? "no message from libtorch"}");
    }
}
