using System.Collections.Frozen;
using Arbor.Contracts.V1;

namespace Arbor.Client;

/// <summary>A root's <see cref="ClientFeatureView"/> as sets, ready to filter requests with. Immutable.</summary>
public sealed class ClientFeatureSelection
{
    /// <param name="view">A complete view (not an <c>unchanged</c> answer).</param>
    public ClientFeatureSelection(ClientFeatureView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        if (view.Unchanged)
        {
            throw new ArgumentException("An 'unchanged' answer carries no features.", nameof(view));
        }

        Version = view.Version;
        AllFeatures = view.AllFeatures;
        CandidateFeatures = view.CandidateFeatures.ToFrozenSet(StringComparer.Ordinal);
        ContextFeatures = view.ContextFeatures.ToFrozenSet(StringComparer.Ordinal);
    }

    /// <summary>The view's version, sent with each request trimmed to it.</summary>
    public string Version { get; }

    /// <summary>True when nothing may be left out.</summary>
    public bool AllFeatures { get; }

    /// <summary>Candidate features the routed models use.</summary>
    public FrozenSet<string> CandidateFeatures { get; }

    /// <summary>Request-level features the routed models use.</summary>
    public FrozenSet<string> ContextFeatures { get; }
}
