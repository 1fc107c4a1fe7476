using System.Collections.Concurrent;
using Arbor.Contracts.V1;
using Arbor.Features.Selection;
using Arbor.Root.Preprocessing;
using Arbor.Root.Routing;
using Arbor.Root.Scoring;
using Arbor.Signatures.Registry;
using Arbor.Trimming;
using Arbor.Trimming.Snapshots;
using Google.Protobuf.Collections;

namespace Arbor.Root.ClientTrimming;

/// <summary>
/// Works out, per surface (every experiment arm included) or explicit model list, which
/// client-supplied features the routed models can use under the routing table and trimmer snapshot
/// in force: the union of their allowlists' candidate and context features, or every feature when
/// one of them goes untrimmed. A model whose allowlist a leaf has refused (a trim gap) counts as
/// untrimmed: the features its served version needs are exactly the ones the allowlist drops, and a
/// client that dropped them cannot have them fetched again, so the view's version changes and
/// clients trimmed to the old view are refused until they refresh. Sets are remembered per
/// (routing table, trimmer snapshot, gap generation) and recomputed after any changes, so a view's
/// version follows routing, allowlists and gaps.
/// </summary>
public sealed class ClientFeatureViews(FeatureTrimmer trimmer, FetchPlanner planner)
{
    /// <summary>Surfaces and model lists remembered per snapshot pair before starting over (bounds memory under odd traffic).</summary>
    public const int MaxSetsPerSnapshot = 1024;

    private Sets _sets = new(null, null, -1);

    /// <summary>
    /// The set for <paramref name="surface"/>, or for <paramref name="models"/> when any are named.
    /// Throws <see cref="Grpc.Core.RpcException"/> (NOT_FOUND, INVALID_ARGUMENT) as Score would.
    /// </summary>
    public ClientFeatureSet For(RoutingTable table, AllowlistSnapshot snapshot, string surface, RepeatedField<ModelSelector> models)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(models);
        var gaps = trimmer.GapGeneration;
        var sets = Volatile.Read(ref _sets);
        if (!sets.Matches(table, snapshot, gaps))
        {
            var fresh = new Sets(table, snapshot, gaps);
            sets = Interlocked.CompareExchange(ref _sets, fresh, sets) == sets ? fresh : Volatile.Read(ref _sets);
            if (!sets.Matches(table, snapshot, gaps))
            {
                // Another request published a newer pair meanwhile: answer from this pair uncached.
                return Build(table, snapshot, surface, models);
            }
        }

        var key = Key(surface, models);
        if (sets.ByKey.TryGetValue(key, out var set))
        {
            return set;
        }

        set = Build(table, snapshot, surface, models);
        if (sets.ByKey.Count >= MaxSetsPerSnapshot)
        {
            sets.ByKey.Clear();
        }

        return sets.ByKey.GetOrAdd(key, set);
    }

    private ClientFeatureSet Build(RoutingTable table, AllowlistSnapshot snapshot, string surface, RepeatedField<ModelSelector> models)
    {
        var routes = ModelResolution.AllRoutes(table, surface, models);
        var candidate = new List<string>();
        var context = new List<string>();
        var preprocessor = planner.Preprocessor;
        foreach (var route in routes)
        {
            var decision = TrimChoice.Decide(trimmer, snapshot, route, table.Config);
            if (decision.Allowlist is not { } allowlist || trimmer.IsGapped(decision))
            {
                return ClientFeatureSet.All;
            }

            foreach (var feature in allowlist.Features)
            {
                if (!preprocessor.TryGetPipeline(feature, out var pipeline))
                {
                    candidate.Add(feature);
                    continue;
                }

                switch (pipeline.Definition.Entity)
                {
                    case FeatureEntity.Candidate:
                        candidate.Add(feature);
                        break;
                    case FeatureEntity.Context:
                        context.Add(feature);
                        break;
                    default:
                        // User features come from the store only: a client cannot send them.
                        break;
                }
            }
        }

        return ClientFeatureSet.Of(candidate, context);
    }

    private static string Key(string surface, RepeatedField<ModelSelector> models)
    {
        if (models.Count == 0)
        {
            return "s\0" + surface;
        }

        var parts = new string[models.Count];
        for (var i = 0; i < parts.Length; i++)
        {
            parts[i] = models[i].Name + "\0" + models[i].Version;
        }

        Array.Sort(parts, StringComparer.Ordinal);
        return "m\0" + string.Join('\u0001', parts.Distinct(StringComparer.Ordinal));
    }

    private sealed class Sets(RoutingTable? table, AllowlistSnapshot? snapshot, long gapGeneration)
    {
        public RoutingTable? Table { get; } = table;

        public AllowlistSnapshot? Snapshot { get; } = snapshot;

        public long GapGeneration { get; } = gapGeneration;

        public bool Matches(RoutingTable table, AllowlistSnapshot snapshot, long gapGeneration) =>
            ReferenceEquals(Table, table) && ReferenceEquals(Snapshot, snapshot) && GapGeneration == gapGeneration;

        public ConcurrentDictionary<string, ClientFeatureSet> ByKey { get; } = new(StringComparer.Ordinal);
    }
}
