namespace Arbor.Signatures.Registry;

/// <summary>What the root does with a client-sent value of a registry feature that it cannot use as sent.</summary>
public enum ClientValueAction
{
    /// <summary>Refuse the request (INVALID_ARGUMENT naming the candidate or the context and the feature).</summary>
    Reject,

    /// <summary>Use the feature's registry default instead (its <c>default_fill</c>, or no value), and count it.</summary>
    Default,
}
