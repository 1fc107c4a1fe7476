namespace Arbor.Leaf.Native;

/// <summary>The status codes of the libtorch shim (ARBOR_* in arbor_torch.h).</summary>
public enum TorchStatus
{
    Ok = 0,

    /// <summary>libtorch raised an error (a bad archive, a shape mismatch inside forward).</summary>
    TorchError = 1,

    /// <summary>The caller passed something invalid (a null, an unknown dtype, a too small buffer).</summary>
    InvalidArgument = 2,

    /// <summary>The requested device is not available.</summary>
    DeviceUnavailable = 3,

    /// <summary>forward returned something other than a float32 tensor [B, outputs].</summary>
    BadOutput = 4,

    /// <summary>Any other native exception.</summary>
    Unknown = 5,

    /// <summary>The shim library itself could not be loaded.</summary>
    LibraryMissing = 100,
}
