namespace Arbor.Release.Verification;

/// <summary>
/// Asks live roots which allowlists they have loaded and live leaves which versions they serve,
/// and reports every served version a root has no allowlist for (the trimming gap: requests that
/// name it go untrimmed or are trimmed for another version), signature mismatches, and leaves whose
/// default version differs from a root's latest.
/// </summary>
public sealed class ReleaseVerifier(RootAdminClient roots, LeafModelsClient leaves)
{
    public async Task<VerificationReport> VerifyAsync(
        IReadOnlyList<Uri> rootUris, IReadOnlyList<Uri> leafUris, bool strict, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rootUris);
        ArgumentNullException.ThrowIfNull(leafUris);
        var findings = new List<VerificationFinding>();
        var rootTasks = rootUris.Select(u => Try(u, "root", () => roots.GetTrimmerAsync(u, cancellationToken), findings)).ToList();
        var leafTasks = leafUris.Select(u => Try(u, "leaf", () => leaves.ListAsync(u, cancellationToken), findings)).ToList();
        var rootViews = (await Task.WhenAll(rootTasks).ConfigureAwait(false)).OfType<RootTrimmerView>().ToList();
        var leafViews = (await Task.WhenAll(leafTasks).ConfigureAwait(false)).OfType<LeafView>().ToList();
        lock (findings)
        {
            findings.AddRange(Evaluate(rootViews, leafViews, strict));
        }

        return new VerificationReport(rootViews, leafViews, findings);
    }

    /// <summary>
    /// The findings between what roots hold and leaves serve. <paramref name="strict"/> makes a
    /// leaf default version that differs from a root's latest an error (outside a release's bridge
    /// window it means requests naming no version are trimmed for the wrong version).
    /// </summary>
    public static IReadOnlyList<VerificationFinding> Evaluate(IReadOnlyList<RootTrimmerView> roots, IReadOnlyList<LeafView> leaves, bool strict)
    {
        ArgumentNullException.ThrowIfNull(roots);
        ArgumentNullException.ThrowIfNull(leaves);
        var findings = new List<VerificationFinding>();
        foreach (var root in roots)
        {
            foreach (var bundle in root.Bundles.Where(b => b.State != "active"))
            {
                findings.Add(new VerificationFinding(FindingSeverity.Warning, FindingKind.BundleNotActive, $"root {root.Root}",
                    $"bundle {bundle.Bundle ?? bundle.Id} is {bundle.State}{(bundle.LastError is null ? "" : $": {bundle.LastError}")}"
                    + (bundle.ContentHash is null ? " (never loaded: its models go untrimmed)" : " (its previous allowlists stay in use)")));
            }
        }

        foreach (var leaf in leaves)
        {
            foreach (var model in leaf.Models)
            {
                foreach (var failed in model.Versions.Where(v => v.State == "failed"))
                {
                    findings.Add(new VerificationFinding(FindingSeverity.Warning, FindingKind.VersionFailed, $"leaf {leaf.Leaf}",
                        $"{model.Model}:{failed.Version} failed to load: {failed.Error}"));
                }
            }
        }

        // One finding per root and served model version, naming every leaf that serves it.
        var served = leaves
            .SelectMany(l => l.Models.SelectMany(m => m.Available.Select(v => (Leaf: l, Model: m, Version: v))))
            .GroupBy(s => (s.Model.Model, s.Version.Version))
            .OrderBy(g => g.Key.Model, StringComparer.Ordinal)
            .ThenBy(g => g.Key.Version, StringComparer.Ordinal);
        foreach (var group in served)
        {
            var (model, version) = group.Key;
            var servedBy = string.Join(", ", group.Select(s => s.Leaf.Leaf.ToString()).Distinct(StringComparer.Ordinal));
            var defaultAt = group.Where(s => s.Model.DefaultVersion == version).Select(s => s.Leaf.Leaf.ToString()).Distinct(StringComparer.Ordinal).ToList();
            foreach (var root in roots)
            {
                var subject = $"root {root.Root}";
                var allowlists = root.Allowlists(model);
                if (allowlists is null)
                {
                    findings.Add(new VerificationFinding(FindingSeverity.Error, FindingKind.MissingAllowlist, subject,
                        $"no allowlist for model {model}; {model}:{version} is served (AVAILABLE) by {servedBy}, so every request to it goes untrimmed"));
                    continue;
                }

                if (!allowlists.Versions.TryGetValue(version, out var sha))
                {
                    findings.Add(new VerificationFinding(FindingSeverity.Error, FindingKind.MissingAllowlist, subject,
                        $"no allowlist for {model}:{version}, which is served (AVAILABLE) by {servedBy}; requests naming it are trimmed with the allowlist of {allowlists.Latest}, which may lack features it uses"));
                }
                else
                {
                    var leafSha = group.Select(s => s.Version.SignatureSha256).FirstOrDefault(s => s.Length > 0);
                    if (leafSha is not null && sha.Length > 0 && leafSha != sha)
                    {
                        findings.Add(new VerificationFinding(FindingSeverity.Error, FindingKind.SignatureMismatch, subject,
                            $"the allowlist of {model}:{version} comes from signature {sha[..Math.Min(12, sha.Length)]} but {servedBy} loaded {leafSha[..Math.Min(12, leafSha.Length)]}"));
                    }
                }

                if (defaultAt.Count > 0 && allowlists.Latest != version)
                {
                    findings.Add(new VerificationFinding(strict ? FindingSeverity.Error : FindingSeverity.Warning, FindingKind.DefaultVersionMismatch, subject,
                        $"latest of {model} is {allowlists.Latest} but {string.Join(", ", defaultAt)} serve {version} by default: requests naming no version are trimmed for {allowlists.Latest}"
                        + (strict ? "" : " (safe while a release bridge widens that allowlist)")));
                }
            }
        }

        return findings;
    }

    private static async Task<T?> Try<T>(Uri uri, string what, Func<Task<T>> call, List<VerificationFinding> findings)
        where T : class
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or InvalidDataException or Grpc.Core.RpcException or TaskCanceledException)
        {
            lock (findings)
            {
                findings.Add(new VerificationFinding(FindingSeverity.Error, FindingKind.Unreachable, $"{what} {uri}", ex.Message));
            }

            return null;
        }
    }
}
