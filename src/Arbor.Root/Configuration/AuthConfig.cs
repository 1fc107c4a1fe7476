namespace Arbor.Root.Configuration;

/// <summary>
/// Credentials on the public API (the gRPC and HTTP ports). With this section present every public
/// call but the gRPC health service must carry one of <see cref="Keys"/> (<c>authorization: Bearer
/// KEY</c> or <c>x-api-key: KEY</c>); an empty list refuses them all. Reloaded with the file.
/// </summary>
public sealed record AuthConfig
{
    public List<ApiKeyConfig> Keys { get; init; } = [];
}
