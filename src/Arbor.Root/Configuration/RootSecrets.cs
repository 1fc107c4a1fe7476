using Arbor.Rpc.Security;

namespace Arbor.Root.Configuration;

/// <summary>Resolves the secrets of a root config (inline, <c>{"env": ...}</c>, <c>{"file": ...}</c>), failing as a config problem at their JSON path.</summary>
public static class RootSecrets
{
    /// <param name="secret">The secret reference.</param>
    /// <param name="baseDirectory">The config file's folder (what a relative file is relative to).</param>
    /// <param name="source">The config file, named in the error.</param>
    /// <param name="jsonPath">Where the secret is in the config, named in the error.</param>
    public static string Resolve(SecretValue secret, string baseDirectory, string source, string jsonPath)
    {
        ArgumentNullException.ThrowIfNull(secret);
        try
        {
            return secret.Resolve(baseDirectory);
        }
        catch (SecretUnavailableException e)
        {
            throw new RootConfigException(source, [$"{jsonPath}: {e.Message}"]);
        }
    }
}
