namespace Arbor.Release.Verification;

/// <summary>What live roots and leaves hold, and every problem between them.</summary>
public sealed record VerificationReport(IReadOnlyList<RootTrimmerView> Roots, IReadOnlyList<LeafView> Leaves, IReadOnlyList<VerificationFinding> Findings)
{
    /// <summary>No error (warnings allowed).</summary>
    public bool Passed => !Findings.Any(f => f.Severity == FindingSeverity.Error);

    /// <summary>The trimming gaps: served versions some root has no allowlist for.</summary>
    public IEnumerable<VerificationFinding> Gaps => Findings.Where(f => f.Kind == FindingKind.MissingAllowlist);

    /// <summary>A report for people: what is served, what is loaded, then every finding.</summary>
    public IEnumerable<string> Describe()
    {
        foreach (var leaf in Leaves)
        {
            foreach (var model in leaf.Models)
            {
                var versions = string.Join(", ", model.Versions.Select(v => $"{v.Version} {v.State}"));
                yield return $"leaf {leaf.Leaf} ({leaf.Partition}): {model.Model} default {(model.DefaultVersion.Length == 0 ? "none" : model.DefaultVersion)} [{versions}]";
            }
        }

        foreach (var root in Roots)
        {
            foreach (var bundle in root.Bundles)
            {
                var models = string.Join("; ", bundle.Models.Select(m => $"{m.Model} latest {m.Latest} [{string.Join(", ", m.Versions.Keys)}]{(m.Shadowed ? " shadowed" : "")}"));
                yield return $"root {root.Root}: bundle {bundle.Bundle ?? bundle.Id} {bundle.State} {Short(bundle.ContentHash)}: {models}";
            }
        }

        foreach (var finding in Findings)
        {
            yield return finding.ToString();
        }

        var errors = Findings.Count(f => f.Severity == FindingSeverity.Error);
        yield return Passed
            ? $"verify: OK ({Roots.Count} roots, {Leaves.Count} leaves, {Findings.Count} warnings)"
            : $"verify: FAILED ({errors} errors, {Gaps.Count()} trimming gaps)";
    }

    private static string Short(string? hash) => hash is { Length: > 12 } ? hash[..12] : hash ?? "(none)";
}
