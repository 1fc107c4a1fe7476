using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Arbor.Features.Selection;
using Arbor.FeatureStore.Sources;

namespace Arbor.Root.Preprocessing;

/// <summary>
/// Hands out one <see cref="FetchPlan"/> per (trimmer snapshot, set of model allowlists): the first
/// request with a model set builds it, later ones look it up by the allowlists' identities (no string
/// keys). A new snapshot starts a new set of plans; the previous one is dropped with it.
/// </summary>
public sealed class FetchPlanner(FeaturePreprocessor preprocessor)
{
    /// <summary>Model sets remembered per snapshot before the plans start over (bounds memory under odd traffic).</summary>
    public const int MaxPlansPerSnapshot = 1024;

    private readonly Lazy<FetchPlan> _all = new(() => FetchPlan.Create(FeatureProjection.All, preprocessor));
    private Plans _plans = new(null);

    public FeaturePreprocessor Preprocessor => preprocessor;

    /// <summary>The plan that reads every feature (an untrimmed model, or a resend after a trim gap).</summary>
    public FetchPlan All => _all.Value;

    /// <summary>The plan for models trimmed as <paramref name="decisions"/> say, under <paramref name="snapshot"/>.</summary>
    /// <param name="snapshot">The trimmer snapshot the decisions were looked up in.</param>
    /// <param name="decisions">One per model of the request, in any order.</param>
    public FetchPlan PlanFor(object snapshot, ReadOnlySpan<TrimDecision> decisions)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var allowlists = new ColumnAllowlist[decisions.Length];
        for (var i = 0; i < decisions.Length; i++)
        {
            if (decisions[i].Allowlist is not { } allowlist)
            {
                return _all.Value;
            }

            allowlists[i] = allowlist;
        }

        var plans = Volatile.Read(ref _plans);
        if (!ReferenceEquals(plans.Snapshot, snapshot))
        {
            var fresh = new Plans(snapshot);
            plans = Interlocked.CompareExchange(ref _plans, fresh, plans) == plans ? fresh : Volatile.Read(ref _plans);
        }

        var key = new ModelSetKey(allowlists);
        if (plans.ByModels.TryGetValue(key, out var plan))
        {
            return plan;
        }

        plan = FetchPlan.Create(FeatureProjection.Of(allowlists.SelectMany(a => a.Features)), preprocessor);
        if (plans.ByModels.Count >= MaxPlansPerSnapshot)
        {
            plans.ByModels.Clear();
        }

        return plans.ByModels.GetOrAdd(key, plan);
    }

    private sealed class Plans(object? snapshot)
    {
        public object? Snapshot { get; } = snapshot;

        public ConcurrentDictionary<ModelSetKey, FetchPlan> ByModels { get; } = new();
    }

    /// <summary>The allowlists of a request's models, compared by identity and in order.</summary>
    private readonly struct ModelSetKey(ColumnAllowlist[] allowlists) : IEquatable<ModelSetKey>
    {
        private readonly ColumnAllowlist[] _allowlists = allowlists;

        public bool Equals(ModelSetKey other)
        {
            if (_allowlists.Length != other._allowlists.Length)
            {
                return false;
            }

            for (var i = 0; i < _allowlists.Length; i++)
            {
                if (!ReferenceEquals(_allowlists[i], other._allowlists[i]))
                {
                    return false;
                }
            }

            return true;
        }

        public override bool Equals(object? obj) => obj is ModelSetKey other && Equals(other);

        public override int GetHashCode()
        {
            var hash = new HashCode();
            foreach (var allowlist in _allowlists)
            {
                hash.Add(RuntimeHelpers.GetHashCode(allowlist));
            }

            return hash.ToHashCode();
        }
    }
}
