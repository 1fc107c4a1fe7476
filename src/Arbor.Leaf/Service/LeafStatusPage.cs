using System.Globalization;
using Arbor.Leaf.Configuration;
using Arbor.Leaf.Models;
using Arbor.Telemetry.Status;
using static Arbor.Telemetry.Status.StatusHtml;

namespace Arbor.Leaf.Service;

/// <summary>
/// <c>GET /status</c> on a leaf: one page for a person. The partition's readiness, every model
/// with its role, whether it is required and serves, every version with its state, load error and
/// calls in flight, and per-model traffic (error rate, p99) over the last minutes with small charts.
/// </summary>
public static class LeafStatusPage
{
    /// <summary>Slot length and count of the page's traffic history (5 minutes).</summary>
    public static readonly TimeSpan Slot = TimeSpan.FromSeconds(10);

    public const int Slots = 30;

    /// <summary>The instruments the page's traffic comes from.</summary>
    public static readonly TrafficInstruments Instruments = new("arbor.leaf.requests", "arbor.leaf.request.duration");

    public static string Render(LeafPartition partition, TrafficHistory traffic, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(partition);
        var models = partition.Manager.Describe();
        var missing = partition.Manager.RequiredNotServing();
        var readiness = missing.Count == 0
            ? State(true)
            : $"{State(false)} <span class=\"muted\">no serving version for required {Escape(string.Join(", ", missing))}</span>";
        var body = $"""
            <p id="readiness">Partition {Escape(partition.Config.Partition)}: {readiness}</p>
            <h2>Models</h2>
            {Table("models", ["model", "role", "required", "state", "default version", "policy", "versions"], models.Select(Row))}
            <h2>Traffic per model</h2>
            {Traffic(traffic, withTrimming: false)}
            """;
        return Page($"Arbor leaf status: {partition.Config.Partition}", time.GetUtcNow(), body);
    }

    private static IReadOnlyList<string> Row(ModelStatus model)
    {
        var versions = string.Join("<br>", model.Versions.Select(v =>
            $"{Escape(v.Version)}: {State(v.State == ModelVersionState.Available, "available", v.State.ToString().ToLowerInvariant())}"
            + (v.InFlight > 0 ? $" <span class=\"muted\">{v.InFlight.ToString(CultureInfo.InvariantCulture)} in flight</span>" : "")
            + (v.Error is null ? "" : $" <span class=\"muted\">{Escape(v.Error)}</span>")));
        return
        [
            $"<span class=\"model\">{Escape(model.Name)}</span>",
            model.Role == ModelRole.Experiment ? "experiment" : "production",
            model.Required ? "yes" : "no",
            State(model.Ready, "serving", "no serving version"),
            Escape(model.DefaultVersion),
            Escape(model.Policy),
            versions,
        ];
    }
}
