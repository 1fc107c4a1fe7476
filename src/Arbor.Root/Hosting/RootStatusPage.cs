using System.Globalization;
using Arbor.Contracts.V1;
using Arbor.Root.FanOut;
using Arbor.Root.Health;
using Arbor.Rpc.Client;
using Arbor.Telemetry.Status;
using Arbor.Trimming;
using static Arbor.Telemetry.Status.StatusHtml;

namespace Arbor.Root.Hosting;

/// <summary>
/// <c>GET /status</c> on the admin listener: one page for a person. The root's readiness (store,
/// partitions, replicas), the models and versions each replica serves with their states (asked with
/// <c>ListModels</c> when the page is drawn), the trimmer's bundles with staleness and last error,
/// and per-model traffic over the last minutes with small charts.
/// </summary>
public static class RootStatusPage
{
    /// <summary>Slot length and count of the page's traffic history (5 minutes).</summary>
    public static readonly TimeSpan Slot = TimeSpan.FromSeconds(10);

    public const int Slots = 30;

    /// <summary>The instruments the page's traffic comes from.</summary>
    public static readonly TrafficInstruments Instruments = new(
        "arbor.root.leaf.calls", "arbor.root.leaf.call.duration", "arbor.root.leaf.rows", "arbor.trimmer.bytes_removed");

    private static readonly TimeSpan ListTimeout = TimeSpan.FromSeconds(1);

    public static async Task<string> RenderAsync(
        FeatureStoreReadiness store, LeafReadiness leaves, LeafClientPool clients, FeatureTrimmer trimmer, TrafficHistory traffic, TimeProvider time, CancellationToken cancellationToken)
    {
        var storeState = store.Current;
        var partitions = leaves.Partitions.Values.OrderBy(p => p.Partition, StringComparer.Ordinal).ToList();
        var ready = storeState.Ready && partitions.All(p => p.State.Ready);
        var served = await ListModelsAsync(partitions, clients, cancellationToken).ConfigureAwait(false);
        var body = $"""
            <p id="readiness">Root: {State(ready)}</p>
            <h2>Readiness</h2>
            {Table("dependencies", ["what", "state", "summary", "since", "last error"], [
                ["feature store", State(storeState.Ready), Escape(storeState.Summary), Since(storeState.Since, time), Escape(storeState.Error)],
                .. partitions.Select(p => (IReadOnlyList<string>)[$"partition {Escape(p.Partition)}", State(p.State.Ready), Escape(p.State.Summary), Since(p.State.Since, time), Escape(p.State.Error)]),
            ])}
            <h2>Models served, per partition and replica</h2>
            {Table("served", ["partition", "replica", "replica state", "model", "role", "required", "model state", "default version", "versions"], served)}
            <h2>Trimmer bundles</h2>
            {Bundles(trimmer)}
            <h2>Traffic per model</h2>
            {Traffic(traffic, withTrimming: true)}
            """;
        return Page("Arbor root status", time.GetUtcNow(), body);
    }

    private static async Task<List<IReadOnlyList<string>>> ListModelsAsync(List<PartitionReadiness> partitions, LeafClientPool clients, CancellationToken cancellationToken)
    {
        var asks = new List<(string Partition, ReplicaReadiness Replica, Task<ListModelsResponse?> Models)>();
        foreach (var partition in partitions)
        {
            clients.TryGetPartition(partition.Partition, out var set);
            foreach (var replica in partition.Replicas)
            {
                var channel = set?.Endpoints.FirstOrDefault(c => c.Address.Authority == replica.Address);
                asks.Add((partition.Partition, replica, channel is null ? Task.FromResult<ListModelsResponse?>(null) : ListAsync(channel, cancellationToken)));
            }
        }

        await Task.WhenAll(asks.Select(a => a.Models)).ConfigureAwait(false);
        var rows = new List<IReadOnlyList<string>>();
        foreach (var (partition, replica, task) in asks)
        {
            var replicaState = State(replica.Ready, "ready", replica.Error ?? "not ready");
            var models = task.Result;
            if (models is null || models.Models.Count == 0)
            {
                rows.Add([Escape(partition), Escape(replica.Address), replicaState, "<span class=\"muted\">models unknown (ListModels did not answer)</span>", "", "", "", "", ""]);
                continue;
            }

            foreach (var model in models.Models)
            {
                var versions = string.Join("<br>", model.Versions.Select(v =>
                    $"{Escape(v.Version)}: {State(v.State == VersionState.Available, "available", v.State.ToString().ToLowerInvariant())}"
                    + (string.IsNullOrEmpty(v.Error) ? "" : $" <span class=\"muted\">{Escape(v.Error)}</span>")));
                rows.Add([
                    Escape(partition), Escape(replica.Address), replicaState, Escape(model.Name), Escape(model.Role), model.Required ? "yes" : "no",
                    State(model.Ready, "serving", "no serving version"), Escape(model.DefaultVersion), versions,
                ]);
            }
        }

        return rows;
    }

    private static async Task<ListModelsResponse?> ListAsync(RpcChannel channel, CancellationToken cancellationToken)
    {
        try
        {
            return await new Contracts.V1.Leaf.LeafClient(channel.Invoker)
                .ListModelsAsync(new ListModelsRequest(), deadline: DateTime.UtcNow + ListTimeout, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Grpc.Core.RpcException)
        {
            return null;
        }
    }

    private static string Bundles(FeatureTrimmer trimmer)
    {
        var status = trimmer.GetStatus();
        return Table("bundles", ["bundle", "state", "staleness", "file's bundle", "generated at", "last loaded", "models", "last error"], status.Bundles.Select(b => (IReadOnlyList<string>)[
            Escape(b.Id),
            State(b.State == Trimming.Bundles.BundleState.Active, "active", b.State.ToString().ToLowerInvariant()),
            b.StalenessSeconds.ToString("0", CultureInfo.InvariantCulture) + " s",
            Escape(b.Bundle),
            Escape(b.GeneratedAt?.ToString("u", CultureInfo.InvariantCulture)),
            Escape(b.LastSuccessfulLoad?.ToString("u", CultureInfo.InvariantCulture)),
            b.Models.Count.ToString(CultureInfo.InvariantCulture),
            b.LastError is null ? "" : $"{Escape(b.LastError)} <span class=\"muted\">({Escape(b.LastErrorAt?.ToString("u", CultureInfo.InvariantCulture))})</span>",
        ]));
    }

    private static string Since(DateTimeOffset since, TimeProvider time) =>
        $"{(time.GetUtcNow() - since).TotalSeconds:0} s ago";
}
