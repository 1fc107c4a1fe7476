namespace Arbor.Leaf.Service;

/// <summary>Why a Score call failed, numbered as gRPC status codes.</summary>
public enum LeafStatusCode
{
    Ok = 0,
    Cancelled = 1,
    InvalidArgument = 3,
    DeadlineExceeded = 4,
    NotFound = 5,
    ResourceExhausted = 8,
    FailedPrecondition = 9,
    Internal = 13,
    Unavailable = 14,
}
