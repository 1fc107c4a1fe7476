namespace Arbor.Rpc.Security;

/// <summary>What checking a request's credential against a <see cref="BearerTokenSet"/> found.</summary>
public enum CredentialCheck
{
    /// <summary>The credential matches a token of the set.</summary>
    Accepted,

    /// <summary>The request carries no credential.</summary>
    Missing,

    /// <summary>The request carries a credential that matches no token of the set.</summary>
    Invalid,
}
