using Arbor.Root.Diagnostics;
using Arbor.Root.Tests.Hosting;
using Arbor.Testing;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using static Arbor.Root.Tests.Authentication.AuthCluster;

namespace Arbor.Root.Tests.Authentication;

/// <summary>The <c>auth</c> example of docs/security.md, run as written: each of its keys authenticates as its name.</summary>
public sealed class DocumentedAuthExampleTests
{
    [Fact]
    public async Task TheDocumentedAuthSection_AuthenticatesEachOfItsKeys()
    {
        var example = DocumentationExamples.Read("security.md", "root_auth.json").Trim();
        const string Prefix = "\"auth\":";
        Assert.StartsWith(Prefix, example, StringComparison.Ordinal);
        // The example's partner key is the one whose digest it shows; the others are read from where it says.
        const string PartnerKey = "example-partner-key";
        Environment.SetEnvironmentVariable("ARBOR_BATCH_KEY", BatchKey);
        try
        {
            await using var cluster = await RootTestCluster.StartAsync(
                editConfig: c => WithAuth(c, example[Prefix.Length..].Trim()),
                beforeStart: directory =>
                {
                    Directory.CreateDirectory(Path.Combine(directory, "secrets"));
                    File.WriteAllText(Path.Combine(directory, "secrets", "ranking-web-key"), RankingWebKey + "\n");
                });
            using var requests = new MetricCollector<long>(cluster.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), RootMetrics.MeterName, "arbor.root.requests");

            var calls = new[]
            {
                await AuthCluster.ScoreAsync(cluster, Bearer(RankingWebKey)),
                await AuthCluster.ScoreAsync(cluster, ApiKey(BatchKey)),
                await AuthCluster.ScoreAsync(cluster, Bearer(PartnerKey)),
            };

            Assert.All(calls, c => Assert.Equal(StatusCode.OK, c.Code));
            Assert.Equal(["ranking-web", "batch-rescorer", "partner-x"], requests.GetMeasurementSnapshot().Select(m => (string)m.Tags["client"]!));
        }
        finally
        {
            Environment.SetEnvironmentVariable("ARBOR_BATCH_KEY", null);
        }
    }
}
