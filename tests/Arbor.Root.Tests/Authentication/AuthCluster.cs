using Arbor.Contracts.V1;
using Arbor.Root.Tests.Hosting;
using Grpc.Core;

namespace Arbor.Root.Tests.Authentication;

/// <summary>Config edits and calls for tests of the public API's keys.</summary>
internal static class AuthCluster
{
    public const string RankingWebKey = "rw-key-5d1e8a";
    public const string BatchKey = "batch-key-90c2f7";

    /// <summary>A SHA-256 digest as the config writes it.</summary>
    public static string DigestOf(string key) => "sha256:" + Convert.ToHexStringLower(Arbor.Rpc.Security.BearerTokenSet.Digest(key));

    /// <summary>Adds (or replaces) the <c>auth</c> section of a cluster config.</summary>
    public static string WithAuth(string config, string auth)
    {
        const string Anchor = "\"bundles\": [\"bundle.json\"],";
        Assert.Contains(Anchor, config, StringComparison.Ordinal);
        var start = config.IndexOf("\"auth\":", StringComparison.Ordinal);
        if (start >= 0)
        {
            var end = config.IndexOf("\n", start, StringComparison.Ordinal);
            config = config.Remove(start, end - start);
        }

        return config.Replace(Anchor, $"{Anchor}\n  \"auth\": {auth},", StringComparison.Ordinal);
    }

    /// <summary>Rewrites the cluster's config with another <c>auth</c> section (an atomic rename, as a ConfigMap update is).</summary>
    public static void Rewrite(RootTestCluster cluster, string auth)
    {
        var config = WithAuth(File.ReadAllText(cluster.ConfigPath), auth);
        File.WriteAllText(cluster.ConfigPath + ".tmp", config);
        File.Move(cluster.ConfigPath + ".tmp", cluster.ConfigPath, overwrite: true);
    }

    public static Metadata Bearer(string key) => new() { { "authorization", $"Bearer {key}" } };

    public static Metadata ApiKey(string key) => new() { { "x-api-key", key } };

    /// <summary>Scores the cluster's request through the gRPC port with these headers; the status the call ends with.</summary>
    public static async Task<(StatusCode Code, string Detail, ScoreResponse? Response)> ScoreAsync(RootTestCluster cluster, Metadata? headers)
    {
        var client = new Contracts.V1.Root.RootClient(cluster.Channel.Channel);
        try
        {
            var response = await client.ScoreAsync(RootTestCluster.Request(), headers, DateTime.UtcNow.AddSeconds(20));
            return (StatusCode.OK, "", response);
        }
        catch (RpcException e)
        {
            return (e.StatusCode, e.Status.Detail, null);
        }
    }
}
