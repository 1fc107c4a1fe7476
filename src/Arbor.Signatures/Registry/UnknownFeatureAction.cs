namespace Arbor.Signatures.Registry;

/// <summary>What the root does with a client-sent value whose feature is not in the registry.</summary>
public enum UnknownFeatureAction
{
    /// <summary>Leave it out of the request and count it: a client that still sends a retired feature keeps working.</summary>
    Drop,

    /// <summary>Refuse the request (INVALID_ARGUMENT naming the candidate or the context and the feature).</summary>
    Reject,
}
