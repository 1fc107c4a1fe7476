namespace Arbor.Rpc.Status;

/// <summary>The gRPC status codes, with their wire values.</summary>
public enum StatusCode
{
    /// <summary>Not an error.</summary>
    OK = 0,

    /// <summary>The operation was cancelled, typically by the caller.</summary>
    Cancelled = 1,

    /// <summary>An error whose cause is not known (e.g. an unmapped HTTP status).</summary>
    Unknown = 2,

    /// <summary>The client sent an invalid argument.</summary>
    InvalidArgument = 3,

    /// <summary>The deadline expired before the operation could complete.</summary>
    DeadlineExceeded = 4,

    /// <summary>A requested entity (e.g. a model) was not found.</summary>
    NotFound = 5,

    /// <summary>The entity a client tried to create already exists.</summary>
    AlreadyExists = 6,

    /// <summary>The caller may not execute the operation.</summary>
    PermissionDenied = 7,

    /// <summary>A resource ran out, e.g. a message exceeded the size limit.</summary>
    ResourceExhausted = 8,

    /// <summary>The system is not in a state required for the operation.</summary>
    FailedPrecondition = 9,

    /// <summary>The operation was aborted (e.g. a concurrency conflict).</summary>
    Aborted = 10,

    /// <summary>The operation was attempted past the valid range.</summary>
    OutOfRange = 11,

    /// <summary>The operation (or a message encoding) is not implemented or supported.</summary>
    Unimplemented = 12,

    /// <summary>An internal invariant was broken (e.g. a corrupt compressed payload).</summary>
    Internal = 13,

    /// <summary>The service is currently unavailable (e.g. the connection failed).</summary>
    Unavailable = 14,

    /// <summary>Unrecoverable data loss or corruption.</summary>
    DataLoss = 15,

    /// <summary>The request lacks valid authentication credentials.</summary>
    Unauthenticated = 16,
}
