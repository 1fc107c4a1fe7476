using Arbor.FeatureStore.Sources;
using Arbor.Root.Admission;
using Arbor.Root.Cache;
using Arbor.Root.Configuration;
using Arbor.Root.Diagnostics;
using Arbor.Root.FanOut;
using Arbor.Root.Health;
using Arbor.Root.Routing;
using Arbor.Rpc.Accounting;
using Arbor.Rpc.Server;
using Arbor.Telemetry;
using Arbor.Telemetry.Status;
using Arbor.Trimming;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Arbor.Root.Hosting;

/// <summary>
/// Health and admin endpoints of a root: <c>/healthz</c>, <c>/readyz</c>, <c>/admin/stats</c>
/// (cumulative counters: requests, latency percentiles, bytes on the leaf connections, CPU) and
/// <c>/admin/config</c> (the configuration in force, secrets redacted), <c>/admin/cache/entities</c>
/// (the cached entities, recently read first, one <c>kind&lt;TAB&gt;id</c> per line: a
/// <c>warmup.preload_file</c>) and <c>/status</c> (a page for
/// people, <see cref="RootStatusPage"/>); all on the admin listener, the health probes without its token.
/// </summary>
public static class RootAdminEndpoints
{
    public static void MapRootAdmin(this IEndpointRouteBuilder endpoints)
    {
        var probes = endpoints.MapGroup("").OnListener(ListenerKind.Admin, anonymous: true);
        var admin = endpoints.MapGroup("/admin").OnListener(ListenerKind.Admin);
        probes.MapGet("/healthz", () => Results.Text("ok"));
        endpoints.MapGroup("").OnListener(ListenerKind.Admin).MapArborMetrics();
        probes.MapGet("/readyz", async (FeatureTrimmer trimmer, FeatureStoreReadiness store, LeafReadiness leaves, RootReadinessCheck root, HealthCheckService checks, CancellationToken cancellationToken) =>
        {
            // The same checks as grpc.health.v1.Health; counts and states only, no addresses (no token needed here).
            var report = await checks.CheckReadinessAsync(cancellationToken);
            var ready = report.Status == HealthStatus.Healthy;
            var health = trimmer.GetHealth();
            return Results.Json(
                new
                {
                    ready,
                    reasons = report.Entries.Values.Where(e => e.Status != HealthStatus.Healthy).Select(e => e.Description).ToArray(),
                    degraded = ready ? root.Problems() : [],
                    feature_store = store.Current.Summary,
                    partitions = leaves.Partitions.ToDictionary(p => p.Key, p => p.Value.State.Summary, StringComparer.Ordinal),
                    trimmer = health.Summary,
                    bundles = health.Bundles,
                },
                statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
        admin.MapGet("/stats", (RootMetrics metrics, LeafClientPool clients, FeatureCache cache, RootConfigReloader reloader, AdmissionControl admission, AdmissionMetrics admissionMetrics, RootWarmup warmup, FanOutMetrics fanOut) =>
        {
            long sent = 0, received = 0;
            var leaves = new Dictionary<string, object>(StringComparer.Ordinal);
            var replicas = clients.ReplicaStates();
            foreach (var channel in clients.Channels)
            {
                var snapshot = channel.Counters.Snapshot();
                sent += snapshot.BytesSent;
                received += snapshot.BytesReceived;
                var state = replicas.GetValueOrDefault(channel.Address.Authority);
                leaves[channel.Address.Authority] = new
                {
                    bytes_sent = snapshot.BytesSent,
                    bytes_received = snapshot.BytesReceived,
                    connections = snapshot.ConnectionsOpened,
                    ejected = state?.Ejected ?? false,
                    ejections = state?.Ejections ?? 0,
                    calls = state?.Calls ?? 0,
                    in_flight = state?.InFlight ?? 0,
                };
            }

            var percentiles = metrics.Latencies.Percentiles(50, 90, 99);
            var overheads = fanOut.Overheads.Percentiles(50, 99);
            var leafTimes = fanOut.LeafTimes.Percentiles(50, 99);
            var server = ByteCounters.Server(RootHost.ByteCountersName).Snapshot();
            return Results.Json(new
            {
                requests = metrics.RequestCount,
                errors = metrics.ErrorCount,
                client_errors = metrics.ClientErrorCount,
                model_results = metrics.ModelResultCount,
                model_errors = metrics.ModelErrorCount,
                models = metrics.ModelStatistics().ToDictionary(
                    m => m.Model,
                    m => new { results = m.Results, errors = m.Errors, p50_ms = m.P50Ms, p99_ms = m.P99Ms },
                    StringComparer.Ordinal),
                candidates = metrics.CandidateCount,
                leaf_retries = metrics.LeafRetryCount,
                leaf_ejections = metrics.LeafEjectionCount,
                trimmed_calls = metrics.TrimmedCalls,
                untrimmed_calls = metrics.UntrimmedCalls,
                p50_ms = percentiles[0],
                p90_ms = percentiles[1],
                p99_ms = percentiles[2],
                leaf_calls_timed = fanOut.TimedCalls,
                leaf_call_overhead_ms = new { p50 = overheads[0], p99 = overheads[1], window = FanOutMetrics.TimedCallWindow },
                leaf_time_ms = new { p50 = leafTimes[0], p99 = leafTimes[1] },
                leaf_bytes_sent = sent,
                leaf_value_bytes = metrics.LeafValueBytes,
                leaf_bytes_received = received,
                leaves,
                stages = Stages(metrics),
                client_bytes_received = server.BytesReceived,
                client_bytes_sent = server.BytesSent,
                // The kernel's figures for this process, read cheaply: a Process object would list every thread (~1 ms).
                cpu_seconds = Environment.CpuUsage.TotalTime.TotalSeconds,
                jit_methods_compiled = System.Runtime.JitInfo.GetCompiledMethodCount(),
                jit_time_ms = System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds,
                allocated_bytes = GC.GetTotalAllocatedBytes(precise: false),
                gc_gen0_collections = GC.CollectionCount(0),
                gc_gen1_collections = GC.CollectionCount(1),
                gc_gen2_collections = GC.CollectionCount(2),
                gc_heap_bytes = GC.GetGCMemoryInfo().HeapSizeBytes,
                working_set_bytes = Environment.WorkingSet,
                cache_entries = cache.Count,
                cache_bytes = cache.SizeBytes,
                config_error = reloader.LastError,
                in_flight = admission.InFlight,
                queued = admission.Queued,
                rejected = admissionMetrics.RejectedCount,
                warmup = WarmupStats(warmup.Current),
            });
        });
        endpoints.MapGroup("").OnListener(ListenerKind.Admin).MapGet("/status", async (
            FeatureStoreReadiness store, LeafReadiness leaves, LeafClientPool clients, FeatureTrimmer trimmer, TrafficHistory traffic, TimeProvider time, CancellationToken cancellationToken) =>
            Results.Content(await RootStatusPage.RenderAsync(store, leaves, clients, trimmer, traffic, time, cancellationToken), "text/html; charset=utf-8"));
        admin.MapGet("/config", (RoutingState routing) =>
            Results.Text(RootConfigLoader.Serialize(routing.Current.Config), "application/json"));
        admin.MapGet("/cache/entities", (FeatureCache cache, int? limit) =>
        {
            // The hot set, as warmup.preload_file reads it: recently read entities first.
            if (limit is < 0)
            {
                return Results.BadRequest("limit must not be negative");
            }

            var text = new System.Text.StringBuilder();
            foreach (var (kind, id) in cache.Entities(limit ?? DefaultEntitiesListed))
            {
                // A line per entity: an id with a line break cannot be one, and is left out.
                if (id.AsSpan().IndexOfAny('\r', '\n') < 0)
                {
                    text.Append(kind.ToName()).Append('\t').Append(id).Append('\n');
                }
            }

            return Results.Text(text.ToString(), "text/plain; charset=utf-8");
        });
    }

    /// <summary>Entities <c>/admin/cache/entities</c> lists when the request does not say (<c>?limit=</c>).</summary>
    public const int DefaultEntitiesListed = 100_000;

    /// <summary>Per stage of a request (<see cref="RequestStage"/>): the requests that went through it since start and their time in it.</summary>
    private static Dictionary<string, object> Stages(RootMetrics metrics)
    {
        var stages = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var stage in Enum.GetValues<RequestStage>())
        {
            var (count, total) = metrics.StageTotals(stage);
            stages[RootMetrics.StageNames[(int)stage]] = new { requests = count, total_ms = total.TotalMilliseconds };
        }

        return stages;
    }

    /// <summary>The warm-up's result: its requests are counted here, not in the traffic figures above.</summary>
    private static object WarmupStats(WarmupResult warmup) => new
    {
        state = warmup.State.ToString().ToLowerInvariant(),
        outcome = warmup.Outcome,
        path = warmup.Path,
        requests = warmup.Requests,
        failed = warmup.Failed,
        seconds = warmup.Seconds,
        flat = warmup.Flat,
        last_cpu_us_per_candidate = warmup.LastCostUsPerCandidate,
        cpu_us_per_candidate = warmup.CostCurve,
        jit_compiled_methods = warmup.CompiledCurve ?? [],
    };
}
