using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json;
using Arbor.FeatureStore.Sources;
using Arbor.Root.Cache;
using Arbor.Root.Diagnostics;
using Arbor.Root.Hosting;
using Arbor.Root.Tests.Authentication;
using Arbor.Root.Tests.Cache;
using Arbor.Root.Tests.Tls;
using Arbor.Rpc.Client;
using Arbor.Rpc.Tls;
using Arbor.Testing;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.Extensions.DependencyInjection;

namespace Arbor.Root.Tests.Hosting;

/// <summary>
/// A real root with its start-up warm-up on: its requests come in through the root's own gRPC
/// listener (over TLS when it serves TLS), it is not ready while it warms, ready after, and nothing
/// the warm-up did shows as traffic, in the shared cache or in the scores of real requests; its
/// secret header gives a client nothing, and a listener it cannot reach makes it warm in the process.
/// </summary>
public sealed class RootWarmupTests
{
    private const string WarmupOn = """{ "enabled": true, "max_seconds": 10 }""";

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Warmup_NotReadyWhileWarming_ReadyAfter_CountedApartFromTraffic_ScoresUnchanged()
    {
        // Leaf B holds every call, so the warm-up cannot end before the test has seen it running.
        await using var warmed = await RootTestCluster.StartAsync(warmup: WarmupOn, leafBEndpoints: leaf =>
        {
            leaf.Hold();
            return leaf.Address;
        });
        await Eventually.WaitUntilAsync(() => !warmed.LeafB.Requests.IsEmpty, "a warm-up call reaches leaf B", Patience, Ct);

        var (warming, warmingBody) = await ReadyzAsync(warmed);
        var grpcWarming = await GrpcHealthAsync(warmed);
        warmed.LeafB.Release();
        await Eventually.WaitUntilAsync(async () => (await ReadyzAsync(warmed)).Status == HttpStatusCode.OK, "/readyz answers 200", Patience, Ct);
        var grpcReady = await GrpcHealthAsync(warmed);
        var stats = await StatsAsync(warmed);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, warming);
        Assert.Contains("warming up", warmingBody.GetProperty("reasons")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, grpcWarming);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, grpcReady);
        var warmup = stats.GetProperty("warmup");
        Assert.Equal("done", warmup.GetProperty("state").GetString());
        Assert.Equal(WarmupResult.GrpcPath, warmup.GetProperty("path").GetString());
        Assert.True(warmup.GetProperty("requests").GetInt32() > 0);
        // Every warm-up request came in through the gRPC listener, authenticated as the warm-up's.
        Assert.Equal(warmup.GetProperty("requests").GetInt32(), warmed.Services.GetRequiredService<WarmupGate>().Accepted);
        Assert.Equal(0, warmup.GetProperty("failed").GetInt32());
        Assert.True(warmup.GetProperty("cpu_us_per_candidate").GetArrayLength() > 0);
        Assert.Equal(0, stats.GetProperty("requests").GetInt64());
        Assert.Equal(0, stats.GetProperty("client_errors").GetInt64());
        Assert.Equal(0, stats.GetProperty("rejected").GetInt64());
        Assert.Equal(0, stats.GetProperty("candidates").GetInt64());
        Assert.Equal(0, stats.GetProperty("model_results").GetInt64());
        Assert.Equal(0, stats.GetProperty("trimmed_calls").GetInt64() + stats.GetProperty("untrimmed_calls").GetInt64());
        Assert.Equal(0, stats.GetProperty("cache_entries").GetInt64());
        Assert.Equal(0, warmed.Services.GetRequiredService<RootMetrics>().RequestCount);

        // The same request scores bit-identically on a root that never warmed up; the warm-up's
        // secret, sent after the warm-up, makes it an ordinary request, counted as traffic.
        await using var cold = await RootTestCluster.StartAsync();
        var request = RootTestCluster.Request();
        var afterWarmup = await new Contracts.V1.Root.RootClient(warmed.Channel.Channel).ScoreAsync(request, SecretOf(warmed), DateTime.UtcNow.AddSeconds(20), Ct);
        var withoutWarmup = await cold.ScoreAsync(request);
        Assert.Equal(withoutWarmup.ToByteArray(), afterWarmup.ToByteArray());
        Assert.Equal(1, warmed.Services.GetRequiredService<RootMetrics>().RequestCount);
        Assert.Equal(warmup.GetProperty("requests").GetInt32(), warmed.Services.GetRequiredService<WarmupGate>().Accepted);
    }

    [Fact]
    public async Task Warmup_TakesTrafficsWholePath_AdmissionTrimCountsAndTrafficHistory_OnInstrumentsOfItsOwn()
    {
        // Every measurement of the instruments a request goes through, by whose they are: the warm-up's
        // meters (their own name) or the root's (its meter factory's scope, known once it has started).
        var measured = new System.Collections.Concurrent.ConcurrentQueue<(string Meter, object? Scope, string Instrument, long Value)>();
        string[] followed = ["arbor.root.admission.in_flight", "arbor.trimmer.bytes_sent", "arbor.root.requests"];
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (followed.Contains(instrument.Name))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => measured.Enqueue((instrument.Meter.Name, instrument.Meter.Scope, instrument.Name, value)));
        listener.Start();

        await using var cluster = await RootTestCluster.StartAsync(warmup: WarmupOn);
        await Eventually.WaitUntilAsync(async () => (await ReadyzAsync(cluster)).Status == HttpStatusCode.OK, "/readyz answers 200", Patience, Ct);
        var warmup = (await StatsAsync(cluster)).GetProperty("warmup");
        var rootScope = cluster.Services.GetRequiredService<IMeterFactory>();
        var traffic = cluster.Services.GetRequiredService<Arbor.Telemetry.Status.TrafficHistory>();
        var warm = measured.Where(m => m.Meter == WarmupScorer.MeterName).ToArray();
        var root = measured.Where(m => ReferenceEquals(m.Scope, rootScope)).ToArray();
        var historyAfterWarmup = traffic.Snapshot();

        // One request of traffic goes through the same instruments of the root.
        await cluster.ScoreAsync(RootTestCluster.Request());
        var rootAfter = measured.Where(m => ReferenceEquals(m.Scope, rootScope)).ToArray();

        var requests = warmup.GetProperty("requests").GetInt32();
        Assert.True(requests > 0);
        Assert.Equal(0, warmup.GetProperty("failed").GetInt32());
        // Each warm-up request took a turn of the warm-up's own admission and gave it back.
        Assert.Equal(requests, warm.Count(m => m.Instrument == "arbor.root.admission.in_flight" && m.Value == 1));
        Assert.Equal(0, warm.Where(m => m.Instrument == "arbor.root.admission.in_flight").Sum(m => m.Value));
        // Its trims were counted, on its own instruments, as were its requests.
        Assert.Contains(warm, m => m.Instrument == "arbor.trimmer.bytes_sent" && m.Value > 0);
        Assert.Equal(requests, warm.Count(m => m.Instrument == "arbor.root.requests"));
        // None of it on the root's instruments, nor in the status page's history.
        Assert.Empty(root);
        Assert.Empty(historyAfterWarmup);
        Assert.Equal(1, rootAfter.Count(m => m.Instrument == "arbor.root.admission.in_flight" && m.Value == 1));
        Assert.Contains(rootAfter, m => m.Instrument == "arbor.trimmer.bytes_sent" && m.Value > 0);
        Assert.Equal(1, rootAfter.Count(m => m.Instrument == "arbor.root.requests"));
        Assert.NotEmpty(traffic.Snapshot());
    }

    [Fact]
    public async Task WarmupSecret_WrongWhileWarming_OrRightAfterwards_GetsNoSpecialTreatment_WithApiKeysOn()
    {
        await using var cluster = await RootTestCluster.StartAsync(
            warmup: WarmupOn,
            editConfig: config => AuthCluster.WithAuth(config, $$"""{ "keys": [ { "name": "ranking-web", "token": "{{AuthCluster.RankingWebKey}}" } ] }"""),
            leafBEndpoints: leaf =>
            {
                leaf.Hold();
                return leaf.Address;
            });
        await Eventually.WaitUntilAsync(() => !cluster.LeafB.Requests.IsEmpty, "a warm-up call reaches leaf B", Patience, Ct);
        var gate = cluster.Services.GetRequiredService<WarmupGate>();
        var secret = gate.HeaderValue;
        var wrong = new Metadata { { WarmupGate.Header, (secret[0] == 'A' ? "B" : "A") + secret[1..] } };
        var empty = new Metadata { { WarmupGate.Header, "" } };
        var noHeader = await AuthCluster.ScoreAsync(cluster, null);
        var wrongWhileWarming = await AuthCluster.ScoreAsync(cluster, wrong);
        var emptyWhileWarming = await AuthCluster.ScoreAsync(cluster, empty);

        cluster.LeafB.Release();
        await Eventually.WaitUntilAsync(async () => (await ReadyzAsync(cluster)).Status == HttpStatusCode.OK, "/readyz answers 200", Patience, Ct);
        var rightAfterwards = await AuthCluster.ScoreAsync(cluster, SecretOf(cluster));
        var withKey = SecretOf(cluster);
        withKey.Add("x-api-key", AuthCluster.RankingWebKey);
        var rightWithKeyAfterwards = await AuthCluster.ScoreAsync(cluster, withKey);
        var metrics = cluster.Services.GetRequiredService<RootMetrics>();
        var warmup = (await StatsAsync(cluster)).GetProperty("warmup");

        Assert.Equal(StatusCode.Unauthenticated, noHeader.Code);
        foreach (var call in new[] { wrongWhileWarming, emptyWhileWarming, rightAfterwards })
        {
            Assert.Equal(noHeader.Code, call.Code);
            Assert.Equal(noHeader.Detail, call.Detail);
        }

        Assert.Equal(StatusCode.OK, rightWithKeyAfterwards.Code);
        Assert.DoesNotContain("warm", noHeader.Detail, StringComparison.OrdinalIgnoreCase);
        // The refused calls and the one with the key are traffic; only the warm-up's own went to it.
        Assert.Equal(5, metrics.RequestCount);
        Assert.Equal(4, metrics.ClientErrorCount);
        Assert.Equal(WarmupResult.GrpcPath, warmup.GetProperty("path").GetString());
        Assert.Equal(warmup.GetProperty("requests").GetInt32(), gate.Accepted);
    }

    [Fact(Timeout = 180_000)]
    public async Task Warmup_OverTls_GoesThroughTheListener()
    {
        using var files = new RootTlsFiles();
        await using var cluster = await RootTestCluster.StartAsync(
            warmup: WarmupOn,
            editConfig: config => files.AddTo(config),
            leafTls: files.Leaf(),
            rootClientTls: TlsClientOptions.Create(files.Client(), "root"));

        await Eventually.WaitUntilAsync(async () => (await ReadyzAsync(cluster)).Status == HttpStatusCode.OK, "/readyz answers 200", Patience, Ct);
        var warmup = (await StatsAsync(cluster)).GetProperty("warmup");

        Assert.Equal(WarmupResult.GrpcPath, warmup.GetProperty("path").GetString());
        Assert.Equal(0, warmup.GetProperty("failed").GetInt32());
        Assert.True(warmup.GetProperty("requests").GetInt32() > 0);
        Assert.Equal(warmup.GetProperty("requests").GetInt32(), cluster.Services.GetRequiredService<WarmupGate>().Accepted);
        Assert.Equal(0, cluster.Services.GetRequiredService<RootMetrics>().RequestCount);
    }

    [Fact(Timeout = 180_000)]
    public async Task Warmup_ListenerItCannotReach_WarmsInTheProcess_SaysSo_AndTheRootBecomesReady()
    {
        // The listener asks clients for a certificate from the client CA: the root's own serving
        // certificate (from another CA), which the warm-up presents, is refused.
        using var files = new RootTlsFiles();
        await using var cluster = await RootTestCluster.StartAsync(
            warmup: WarmupOn,
            editConfig: config => files.AddTo(config, requireClientCertificates: true),
            leafTls: files.Leaf(),
            rootClientTls: TlsClientOptions.Create(files.Client(), "root"));

        await Eventually.WaitUntilAsync(async () => (await ReadyzAsync(cluster)).Status == HttpStatusCode.OK, "/readyz answers 200", Patience, Ct);
        var warmup = (await StatsAsync(cluster)).GetProperty("warmup");
        var path = warmup.GetProperty("path").GetString();

        Assert.StartsWith(WarmupResult.InProcessPath + " (the gRPC listener at ", path, StringComparison.Ordinal);
        Assert.Contains("could not be reached", path, StringComparison.Ordinal);
        Assert.Equal(0, warmup.GetProperty("failed").GetInt32());
        Assert.True(warmup.GetProperty("requests").GetInt32() > 0);
        Assert.Equal(0, cluster.Services.GetRequiredService<WarmupGate>().Accepted);
        Assert.Equal(0, cluster.Services.GetRequiredService<RootMetrics>().RequestCount);
        Assert.Equal(StatusCode.OK, (await AuthCluster.ScoreAsync(cluster, null)).Code);
    }

    [Fact]
    public async Task Warmup_LeafRefusesEveryCall_EndsAfterMaxFailures_AndTheRootBecomesReady()
    {
        await using var cluster = await RootTestCluster.StartAsync(warmup: WarmupOn, leafBEndpoints: leaf =>
        {
            leaf.AnswerWith = StatusCode.Internal;
            return leaf.Address;
        });

        await Eventually.WaitUntilAsync(async () => (await ReadyzAsync(cluster)).Status == HttpStatusCode.OK, "/readyz answers 200", Patience, Ct);
        var warmup = (await StatsAsync(cluster)).GetProperty("warmup");

        Assert.Equal("done", warmup.GetProperty("state").GetString());
        Assert.False(warmup.GetProperty("flat").GetBoolean());
        Assert.Equal(RootWarmup.MaxFailures, warmup.GetProperty("failed").GetInt32());
        Assert.InRange(warmup.GetProperty("requests").GetInt32(), RootWarmup.MaxFailures, 3 * RootWarmup.MaxFailures);
        Assert.Contains($"stopped after {RootWarmup.MaxFailures} failed requests (last: m_b: Internal)", warmup.GetProperty("outcome").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Warmup_Off_ReadyWithoutWarmupRequests()
    {
        await using var cluster = await RootTestCluster.StartAsync();

        await Eventually.WaitUntilAsync(async () => (await ReadyzAsync(cluster)).Status == HttpStatusCode.OK, "/readyz answers 200", Patience, Ct);
        var warmup = (await StatsAsync(cluster)).GetProperty("warmup");

        Assert.Equal("off", warmup.GetProperty("outcome").GetString());
        Assert.Equal(0, warmup.GetProperty("requests").GetInt32());
        Assert.True(cluster.LeafA.Requests.IsEmpty);
        Assert.True(cluster.LeafB.Requests.IsEmpty);
    }

    [Fact(Timeout = 180_000)]
    public async Task Preload_FillsTheSharedCacheBeforeReady_RequestsThenReadNothingFromTheStore_AndTheRootListsItsEntities()
    {
        // u1 and c0..c4 are in the store, c-absent is not; a comment, an empty line and a bad line are skipped.
        string[] lines = ["# the hot set", "user\tu1", "", "candidate\tc0", "candidate\tc1", "candidate\tc2", "candidate\tc3", "candidate\tc4", "candidate\tc-absent", "item c5"];
        const string Preloaded = """{ "enabled": true, "max_seconds": 10, "preload_file": "hot.tsv" }""";
        await using var preloaded = await RootTestCluster.StartAsync(warmup: Preloaded, beforeStart: directory => File.WriteAllLines(Path.Combine(directory, "hot.tsv"), lines));
        await using var control = await RootTestCluster.StartAsync(warmup: WarmupOn);
        await Eventually.WaitUntilAsync(async () => (await ReadyzAsync(preloaded)).Status == HttpStatusCode.OK && (await ReadyzAsync(control)).Status == HttpStatusCode.OK, "both roots ready", Patience, Ct);
        var warmup = (await StatsAsync(preloaded)).GetProperty("warmup");
        var cached = preloaded.Services.GetRequiredService<FeatureCache>().Entities(100);
        using var exported = await preloaded.Admin.GetAsync(new Uri("/admin/cache/entities", UriKind.Relative), Ct);
        var exportedLines = (await exported.Content.ReadAsStringAsync(Ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        using var firstTwo = await preloaded.Admin.GetAsync(new Uri("/admin/cache/entities?limit=2", UriKind.Relative), Ct);
        using var negative = await preloaded.Admin.GetAsync(new Uri("/admin/cache/entities?limit=-1", UriKind.Relative), Ct);

        // The same request to both: the preloaded root reads nothing from the store, the other does.
        using var preloadedMisses = new CounterRecorder(preloaded.Services.GetRequiredService<IMeterFactory>(), FeatureCacheMetrics.MeterName, "arbor.feature_cache.misses");
        using var controlMisses = new CounterRecorder(control.Services.GetRequiredService<IMeterFactory>(), FeatureCacheMetrics.MeterName, "arbor.feature_cache.misses");
        var request = RootTestCluster.Request(candidates: 5);
        var fromPreloaded = await preloaded.ScoreAsync(request);
        var fromControl = await control.ScoreAsync(request);

        // The warm-up's own requests carried the preloaded ids: stored values beside the client values of its first candidates.
        var warmupCalls = preloaded.LeafA.Requests.Concat(preloaded.LeafB.Requests).Where(r => r.RequestId.StartsWith(WarmupRequests.IdPrefix, StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(warmupCalls);
        Assert.Contains(warmupCalls, r => r.Columns.FirstOrDefault(c => c.Name == "c_ctr") is { } ctr && ctr.Floats.Values.Count > WarmupRequests.ClientValueCandidates);
        Assert.Contains("preloaded 7 entities", warmup.GetProperty("outcome").GetString(), StringComparison.Ordinal);
        Assert.Contains("end of file, 1 lines not kind<TAB>id", warmup.GetProperty("outcome").GetString(), StringComparison.Ordinal);
        string[] inStore = ["user\tu1", "candidate\tc0", "candidate\tc1", "candidate\tc2", "candidate\tc3", "candidate\tc4"];
        Assert.Subset(cached.Select(e => $"{(e.Kind == EntityKind.User ? "user" : "candidate")}\t{e.Id}").ToHashSet(), inStore.ToHashSet());
        Assert.Equal(cached.Select(e => $"{(e.Kind == EntityKind.User ? "user" : "candidate")}\t{e.Id}").Order(), exportedLines.Order());
        Assert.Equal("text/plain", exported.Content.Headers.ContentType?.MediaType);
        Assert.Equal(2, (await firstTwo.Content.ReadAsStringAsync(Ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(HttpStatusCode.BadRequest, negative.StatusCode);
        Assert.Equal(0, preloadedMisses.Sum);
        Assert.True(controlMisses.Sum >= 6, $"the control root read {controlMisses.Sum} entities from the store");
        Assert.Equal(fromControl.ToByteArray(), fromPreloaded.ToByteArray());

        // An id with a line break is cached like any other but cannot be a line of the file: it is left out.
        var odd = RootTestCluster.Request(candidates: 1);
        odd.Candidates.Add(new Contracts.V1.Candidate { Id = "line\nbreak" });
        await preloaded.ScoreAsync(odd);
        using var again = await preloaded.Admin.GetAsync(new Uri("/admin/cache/entities", UriKind.Relative), Ct);
        Assert.Contains(preloaded.Services.GetRequiredService<FeatureCache>().Entities(100), e => e.Id == "line\nbreak");
        Assert.DoesNotContain("break", await again.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact(Timeout = 180_000)]
    public async Task Preload_FileMissing_SaysSo_AndTheRootBecomesReady()
    {
        await using var cluster = await RootTestCluster.StartAsync(warmup: """{ "enabled": true, "max_seconds": 10, "preload_file": "absent.tsv" }""");

        await Eventually.WaitUntilAsync(async () => (await ReadyzAsync(cluster)).Status == HttpStatusCode.OK, "/readyz answers 200", Patience, Ct);
        var outcome = (await StatsAsync(cluster)).GetProperty("warmup").GetProperty("outcome").GetString();

        Assert.Contains("preloaded 0 entities", outcome, StringComparison.Ordinal);
        Assert.Contains("file not readable: FileNotFoundException", outcome, StringComparison.Ordinal);
        Assert.DoesNotContain(cluster.Directory, outcome, StringComparison.Ordinal);
        Assert.Equal(0, cluster.Services.GetRequiredService<FeatureCache>().Count);
    }

    /// <summary>The warm-up's secret header, as the root's warm-up sends it.</summary>
    private static Metadata SecretOf(RootTestCluster cluster) =>
        new() { { WarmupGate.Header, cluster.Services.GetRequiredService<WarmupGate>().HeaderValue } };

    private static async Task<(HttpStatusCode Status, JsonElement Body)> ReadyzAsync(RootTestCluster cluster)
    {
        using var response = await cluster.Admin.GetAsync(new Uri("/readyz", UriKind.Relative), Ct);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return (response.StatusCode, json.RootElement.Clone());
    }

    private static async Task<JsonElement> StatsAsync(RootTestCluster cluster)
    {
        using var json = JsonDocument.Parse(await cluster.Admin.GetStringAsync(new Uri("/admin/stats", UriKind.Relative), Ct));
        return json.RootElement.Clone();
    }

    private static async Task<HealthCheckResponse.Types.ServingStatus> GrpcHealthAsync(RootTestCluster cluster)
    {
        var response = await cluster.Channel.CallAsync(
            "grpc.health.v1.Health/Check", new HealthCheckRequest(), HealthCheckResponse.Parser, new RpcCallOptions { Timeout = TimeSpan.FromSeconds(10) }, Ct);
        return response.Status;
    }
}
