using System.Collections.Concurrent;
using System.Text.Json;
using Arbor.Contracts.V1;
using Arbor.Root.Tests.Hosting;
using Arbor.Rpc.Client;
using Arbor.Rpc.Tls;
using Arbor.Testing;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Arbor.Root.Tests.Tls;

public sealed class RootTlsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 180_000)]
    public async Task GrpcioClient_OverTlsWithAClientCertificate_Scores_AndWithoutOne_IsRefused()
    {
        using var files = new RootTlsFiles();
        await using var cluster = await RootTestCluster.StartAsync(
            editConfig: config => files.AddTo(config, requireClientCertificates: true),
            leafTls: files.Leaf(),
            rootClientTls: TlsClientOptions.Create(files.Client(), "root"));
        var script = Path.Combine(AppContext.BaseDirectory, "Tls", "root_tls_check.py");
        var address = cluster.GrpcEndpoint.ToString();

        var withCertificate = await RunAsync([script, address, files.Combine("root-ca.crt"), PythonInterop.MessagesDirectory, files.Combine("client.crt"), files.Combine("client.key")]);
        var withoutCertificate = await RunAsync([script, address, files.Combine("root-ca.crt"), PythonInterop.MessagesDirectory]);
        var fromCSharp = await cluster.ScoreAsync(RootTestCluster.Request());

        Assert.Equal("OK", withCertificate.GetProperty("code").GetString());
        Assert.Equal(["m_a", "m_b"], withCertificate.GetProperty("models_scored").EnumerateArray().Select(e => e.GetString()!));
        Assert.Equal("UNAVAILABLE", withoutCertificate.GetProperty("code").GetString());
        Assert.All(fromCSharp.Results, r => Assert.Equal(0, r.Status?.Code ?? 0));
        Assert.Contains(files.RootClientCertificate.Thumbprint, cluster.LeafA.ClientCertificates.Keys);
    }

    [Fact(Timeout = 180_000)]
    public async Task Rotation_OfTheServingAndLeafClientCertificatesUnderLoad_FailsNoRequest()
    {
        using var files = new RootTlsFiles();
        var leafTls = files.Leaf();
        await using var cluster = await RootTestCluster.StartAsync(editConfig: config => files.AddTo(config), leafTls: leafTls, rootClientTls: TlsClientOptions.Create(files.Client(), "root"));
        await using var leafC = await FakeLeaf.StartAsync(RootTestCluster.Uses, tls: leafTls);
        var servingCertificates = new ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
        var clientOptions = TlsClientOptions.Create(files.Client(), "root");
        var validate = clientOptions.RemoteCertificateValidationCallback!;
        clientOptions.RemoteCertificateValidationCallback = (sender, certificate, chain, errors) =>
        {
            servingCertificates.TryAdd(certificate!.GetCertHashString(), 0);
            return validate(sender, certificate, chain, errors);
        };
        long succeeded = 0;
        var failures = new ConcurrentQueue<string>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        // Each round is a new client connection (a new handshake with the root) and a few requests.
        var workers = Enumerable.Range(0, 3).Select(w => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var channel = new RpcChannel($"https://{cluster.GrpcEndpoint}", new RpcChannelOptions { SslOptions = clientOptions, ByteCounters = new Arbor.Rpc.Accounting.ByteCounters($"root-rotation-{w}") });
                for (var i = 0; i < 3; i++)
                {
                    try
                    {
                        var response = await channel.CallAsync("arbor.v1.Root/Score", RootTestCluster.Request(), ScoreResponse.Parser, new RpcCallOptions { Timeout = TimeSpan.FromSeconds(20) }, CancellationToken.None);
                        foreach (var result in response.Results.Where(r => r.Status is { Code: not 0 }))
                        {
                            failures.Enqueue($"{result.Model}: {result.Status.Code} {result.Status.Message}");
                        }

                        Interlocked.Increment(ref succeeded);
                    }
                    catch (RpcException e)
                    {
                        failures.Enqueue(e.Status.ToString());
                    }
                }
            }
        })).ToList();

        await Eventually.WaitUntilAsync(() => Interlocked.Read(ref succeeded) >= 30, "requests before the rotation", TimeSpan.FromSeconds(60), Ct);
        var oldServing = files.RootCertificate.Thumbprint;
        var oldLeafClient = files.RootClientCertificate.Thumbprint;
        files.RenewRootCertificates();
        var reloads = cluster.Services.GetRequiredService<TlsReloadService>();
        await Eventually.WaitUntilAsync(
            () => reloads.Sources.All(s => s.Current.Certificate.Thumbprint is var t && (t == files.RootCertificate.Thumbprint || t == files.RootClientCertificate.Thumbprint)),
            "the root to load both renewed certificates", TimeSpan.FromSeconds(30), Ct);

        // A replica added now connects with the renewed client certificate.
        var config = File.ReadAllText(cluster.ConfigPath).Replace($"[\"{cluster.LeafA.Address}\"]", $"[\"{cluster.LeafA.Address}\", \"{leafC.Address}\"]", StringComparison.Ordinal);
        File.WriteAllText(cluster.ConfigPath + ".tmp", config);
        File.Move(cluster.ConfigPath + ".tmp", cluster.ConfigPath, overwrite: true);
        var afterRotation = Interlocked.Read(ref succeeded);
        await Eventually.WaitUntilAsync(
            () => servingCertificates.ContainsKey(files.RootCertificate.Thumbprint) && leafC.ClientCertificates.ContainsKey(files.RootClientCertificate.Thumbprint) &&
                !leafC.Requests.IsEmpty && Interlocked.Read(ref succeeded) >= afterRotation + 30,
            "handshakes with the renewed certificates, and requests after them", TimeSpan.FromSeconds(60), Ct);
        await stop.CancelAsync();
        await Task.WhenAll(workers);

        Assert.Empty(failures);
        Assert.Contains(oldServing, servingCertificates.Keys);
        Assert.Contains(oldLeafClient, cluster.LeafA.ClientCertificates.Keys);
        Assert.DoesNotContain(oldLeafClient, leafC.ClientCertificates.Keys);
    }

    private static async Task<JsonElement> RunAsync(IReadOnlyList<string> arguments)
    {
        var output = await PythonInterop.RunAsync(arguments, TimeSpan.FromSeconds(60), Ct);
        using var document = JsonDocument.Parse(output.Trim());
        return document.RootElement.Clone();
    }
}
