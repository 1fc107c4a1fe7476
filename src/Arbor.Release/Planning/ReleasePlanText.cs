using Arbor.Signatures.Bundles;

namespace Arbor.Release.Planning;

/// <summary>A release plan for people: every step with the files it writes and what each bundle says.</summary>
public static class ReleasePlanText
{
    public static IEnumerable<string> Describe(ReleasePlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        yield return $"release {plan.Id}";
        foreach (var ship in plan.Ships)
        {
            yield return $"  ship {ship} (bundle {ship.Bundle}, {ship.Features.Count} features, signature {ship.SignatureSha256[..12]}) from {ship.Source}";
        }

        foreach (var step in plan.Steps)
        {
            yield return $"{step.Number}. {step.Title}";
            foreach (var write in step.Bundles)
            {
                yield return $"     {write.Environment}/root/bundles/{write.Bundle}.json ({write.Sha256[..12]}): {Summary(write.Document, plan.Ships)}";
            }

            foreach (var publish in step.Publishes)
            {
                yield return $"     {publish.Environment}/models/{publish.Model}/{publish.Version} <- {publish.Source}";
            }
        }

        foreach (var warning in plan.Warnings)
        {
            yield return $"warning: {warning}";
        }
    }

    private static string Summary(BundleDocument document, IReadOnlyList<PendingVersion> ships) =>
        string.Join("; ", ships.Where(s => document.Models.ContainsKey(s.Model)).Select(s =>
        {
            var model = document.Models[s.Model];
            var latest = model.Versions[model.Latest].Features.Count;
            var widened = model.Latest != s.Version && model.Versions.TryGetValue(model.Latest, out var _)
                ? $" widened with {s.Version}'s features"
                : "";
            return $"{s.Model} latest {model.Latest} ({latest} features{widened}), allowlists for {string.Join(", ", model.Versions.Keys)}";
        }));
}
