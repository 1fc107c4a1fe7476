using Arbor.Features.Selection;
using Arbor.Root.Configuration;
using Arbor.Root.Routing;
using Arbor.Trimming;
using Arbor.Trimming.Snapshots;

namespace Arbor.Root.Scoring;

/// <summary>How a routed model's leaf request is trimmed: its allowlist when trimming is on for it, else every feature.</summary>
public static class TrimChoice
{
    /// <summary>The decision for <paramref name="route"/> under <paramref name="snapshot"/> and the routing config's trimming switches.</summary>
    public static TrimDecision Decide(FeatureTrimmer trimmer, AllowlistSnapshot snapshot, ModelRoute route, RootConfig config) =>
        route.Trimming ?? config.FanOut.Trimming
            ? trimmer.Lookup(snapshot, route.Model, route.Version)
            : TrimDecision.PassThrough(route.Model);
}
