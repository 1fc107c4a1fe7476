using System.Text.Json;
using Arbor.Contracts.V1;
using Arbor.Root.Tests.Hosting;
using Arbor.Testing;

namespace Arbor.Root.Tests.ClientTrimming;

/// <summary>clients/python/arbor_client.py on Debian's python3-grpcio against a real root.</summary>
public sealed class PythonClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PythonClient_TrimsWithExactScores_AndResendsOnceAfterTheViewChanged()
    {
        await using var cluster = await RootTestCluster.StartAsync();
        var probe = new Contracts.V1.Root.RootClient(cluster.Channel.Invoker);
        using var python = PythonInterop.Start(
            [Path.Combine(AppContext.BaseDirectory, "ClientTrimming", "python_client_check.py"), cluster.GrpcEndpoint.ToString(), PythonInterop.MessagesDirectory, RepositoryPaths.Combine("clients", "python")]);
        try
        {
            using var first = JsonDocument.Parse(await ReadLineAsync(python));
            var before = (await probe.GetClientFeaturesAsync(new ClientFeaturesRequest { Surface = "home" }, cancellationToken: Ct)).Version;
            cluster.WriteBundle(new Dictionary<string, string[]> { ["m_a"] = [.. RootTestCluster.Uses["m_a"], "c_unused_0"], ["m_b"] = RootTestCluster.Uses["m_b"] });
            await Eventually.WaitUntilAsync(
                () => probe.GetClientFeatures(new ClientFeaturesRequest { Surface = "home" }, cancellationToken: Ct).Version != before,
                "the view to follow the new bundle", TimeSpan.FromSeconds(20), Ct);
            await python.StandardInput.WriteLineAsync("go");
            await python.StandardInput.FlushAsync(Ct);
            using var second = JsonDocument.Parse(await ReadLineAsync(python));

            var one = first.RootElement;
            Assert.True(one.GetProperty("equal").GetBoolean());
            Assert.True(one.GetProperty("scores").GetInt32() > 0);
            Assert.True(one.GetProperty("trimmed_bytes").GetInt32() < one.GetProperty("full_bytes").GetInt32());
            Assert.Equal(0, one.GetProperty("resent").GetInt32());
            Assert.Equal(RootTestCluster.Uses.Values.SelectMany(f => f).Where(f => f.StartsWith("c_", StringComparison.Ordinal)).Order(StringComparer.Ordinal),
                one.GetProperty("candidate_features_sent").EnumerateArray().Select(e => e.GetString()!));
            var two = second.RootElement;
            Assert.True(two.GetProperty("equal").GetBoolean());
            Assert.Equal(1, two.GetProperty("resent").GetInt32());
            Assert.Contains("c_unused_0", two.GetProperty("candidate_features_sent").EnumerateArray().Select(e => e.GetString()!));
        }
        finally
        {
            if (!python.HasExited)
            {
                python.Kill(entireProcessTree: true);
            }
        }
    }

    private static async Task<string> ReadLineAsync(System.Diagnostics.Process python)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        limit.CancelAfter(TimeSpan.FromSeconds(60));
        var line = await python.StandardOutput.ReadLineAsync(limit.Token);
        if (line is null)
        {
            throw new InvalidOperationException($"the Python client exited early: {await python.StandardError.ReadToEndAsync(Ct)}");
        }

        return line;
    }
}
