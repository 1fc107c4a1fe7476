using Arbor.Rpc.Security;

namespace Arbor.Root.Configuration;

/// <summary>One API key of the public API: the client it identifies, and the key or its digest.</summary>
public sealed record ApiKeyConfig
{
    /// <summary>The client's name: the <c>client</c> label of its requests' metrics and the <c>Client</c> of their log scope.</summary>
    public string Name { get; init; } = "";

    /// <summary>The key itself: inline, <c>{"env": NAME}</c> or <c>{"file": PATH}</c>. Kept only as its SHA-256.</summary>
    public SecretValue? Token { get; init; }

    /// <summary>The key's digest, <c>sha256:</c> and 64 hex digits (<c>printf %s KEY | sha256sum</c>), in any secret form: the config never holds the key.</summary>
    public SecretValue? Digest { get; init; }
}
