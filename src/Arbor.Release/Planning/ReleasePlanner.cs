using System.Globalization;
using Arbor.Release.Environments;
using Arbor.Signatures.Archives;
using Arbor.Signatures.Bundles;
using Arbor.Signatures.Checking;
using Arbor.Signatures.Registry;
using Arbor.Signatures.Signatures;
using Arbor.Signatures.Validation;

namespace Arbor.Release.Planning;

/// <summary>
/// Plans a release: for each environment in rollout order, root configs (bundles carrying the
/// current and the pending allowlists) before model configs, a canary analysis after the first
/// environment, and a final step making the pending versions <c>latest</c>. Refuses a release whose
/// versions lack a valid signature, need features the feature registry lacks, or would not be
/// served by default (not newer than what an environment serves). With a model check (the CLI
/// passes the leaf's libtorch one), a shipped version must also pass it: load, forward on inputs
/// built from its signature, scores of the right shape and dtype, inputs the registry can feed.
/// </summary>
public sealed class ReleasePlanner(TimeProvider timeProvider, IModelVersionCheck? modelCheck = null)
{
    public ReleasePlan Plan(ReleaseEnvironments environments, ReleaseRequest request)
    {
        ArgumentNullException.ThrowIfNull(environments);
        ArgumentNullException.ThrowIfNull(request);
        var now = timeProvider.GetUtcNow();
        var problems = new List<string>();
        var warnings = new List<string>();
        var catalog = new SignatureCatalog();
        var repository = Path.GetFullPath(request.Repository);
        if (!Directory.Exists(repository))
        {
            throw new ReleasePlanException($"model repository {repository} does not exist");
        }

        if (request.Ships.Count == 0)
        {
            throw new ReleasePlanException("nothing to ship: name at least one model:version");
        }

        foreach (var twice in request.Ships.GroupBy(s => s.Model, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            problems.Add($"{twice.Key} is shipped more than once ({string.Join(", ", twice)}): ship one version per model");
        }

        var manifest = ReadManifest(repository, problems);
        var pending = new List<PendingVersion>();
        var signatures = new List<ModuleInfo>();
        foreach (var ship in request.Ships.DistinctBy(s => s.Model, StringComparer.Ordinal))
        {
            if (ResolvePending(ship, repository, manifest, request.Bundle, environments, catalog, problems) is { } resolved)
            {
                pending.Add(resolved.Pending);
                signatures.Add(resolved.Signature);
            }
        }

        var registry = ReadRegistry(request.RegistryPath ?? Path.Combine(repository, "feature_registry.json"), problems);
        if (modelCheck is not null)
        {
            CheckModels(modelCheck, repository, pending, registry, problems);
        }
        else if (registry is not null)
        {
            CheckRegistry(registry, signatures, problems);
        }

        var existing = ReadExistingBundles(environments, pending, problems);
        if (problems.Count > 0)
        {
            throw new ReleasePlanException(problems);
        }

        var steps = new List<ReleaseStep>();
        var envs = environments.Environments;
        for (var i = 0; i < envs.Count; i++)
        {
            var env = envs[i];
            var bridge = pending
                .GroupBy(p => p.Bundle, StringComparer.Ordinal)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new BundleWrite(env.Name, g.Key, BundleComposer.Compose(
                    g.Key, existing[(env.Name, g.Key)], g.Select(p => Bridge(env, p, catalog, warnings)), now)))
                .ToList();
            steps.Add(new ReleaseStep(steps.Count + 1, ReleaseStepKind.RootConfig, [env.Name],
                $"root configs to {env.Name}: bundles {Names(bridge.Select(b => b.Bundle))} with current and pending allowlists", bridge, []));

            var publishes = pending.Select(p => new VersionPublish(env.Name, p.Model, p.Version, p.Source, p.SignatureSha256)).ToList();
            steps.Add(new ReleaseStep(steps.Count + 1, ReleaseStepKind.ModelConfig, [env.Name],
                $"model configs to {env.Name}: publish {Names(pending.Select(p => p.ToString()))}", [], publishes));

            if (i == 0 && envs.Count > 1)
            {
                steps.Add(new ReleaseStep(steps.Count + 1, ReleaseStepKind.CanaryAnalysis, [env.Name, envs[1].Name],
                    $"canary analysis: {env.Name} against {envs[1].Name} (error rate, p99, bytes per candidate, untrimmed calls)", [], []));
            }
        }

        var final = envs
            .SelectMany(env => pending
                .GroupBy(p => p.Bundle, StringComparer.Ordinal)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new BundleWrite(env.Name, g.Key, BundleComposer.Compose(
                    g.Key, existing[(env.Name, g.Key)], g.Select(p => Final(env, p, catalog)), now))))
            .ToList();
        steps.Add(new ReleaseStep(steps.Count + 1, ReleaseStepKind.Finalize, [.. envs.Select(e => e.Name)],
            $"make {Names(pending.Select(p => p.ToString()))} latest in the bundles of {Names(envs.Select(e => e.Name))} once leaves serve them", final, []));

        foreach (var (env, bundle) in existing.Where(e => e.Value is null).Select(e => e.Key))
        {
            warnings.Add($"{env}: bundle file {environments.Get(env).BundlePath(bundle)} is new: the roots of {env} must list it in their config");
        }

        var before = envs.Select(env => new EnvironmentSnapshot(
            env.Name,
            pending.ToDictionary(p => p.Model, p => env.ListVersions(p.Model), StringComparer.Ordinal),
            pending.Select(p => p.Bundle).Distinct(StringComparer.Ordinal).ToDictionary(b => b, env.BundleHash, StringComparer.Ordinal))).ToList();
        var id = string.Create(CultureInfo.InvariantCulture, $"{now.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}-{pending[0].Model}-{pending[0].Version}{(pending.Count > 1 ? $"-and-{pending.Count - 1}-more" : "")}");
        return new ReleasePlan(id, now, repository, pending, steps, before, warnings);
    }

    private static string Names(IEnumerable<string> names) => string.Join(", ", names);

    private static PartitionManifest? ReadManifest(string repository, List<string> problems)
    {
        var path = Path.Combine(repository, PartitionManifest.FileName);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return PartitionManifestJson.ReadFile(path);
        }
        catch (ArtefactException ex)
        {
            problems.Add(ex.Message);
            return null;
        }
    }

    private static (PendingVersion Pending, ModuleInfo Signature)? ResolvePending(
        ModelVersionRef ship, string repository, PartitionManifest? manifest, string? fallbackBundle,
        ReleaseEnvironments environments, SignatureCatalog catalog, List<string> problems)
    {
        var source = Path.Combine(repository, ship.Model, ship.Version);
        var archive = ModelRepositoryLayout.ModelPath(repository, ship.Model, ship.Version);
        if (!Directory.Exists(source))
        {
            problems.Add($"{ship}: not in the model repository ({source} does not exist)");
            return null;
        }

        if (!ModelVersionComparer.IsNumeric(ship.Version))
        {
            problems.Add($"{ship}: leaves serve numeric version folders only");
            return null;
        }

        if (catalog.TryRead(archive, ship.Model, ship.Version, out var problem) is not { } signature)
        {
            problems.Add($"{ship}: no valid signature, so no allowlist could lead it to the roots: {problem}");
            return null;
        }

        var bundle = manifest?.Partitions.Where(p => p.Value.Models.Contains(ship.Model, StringComparer.Ordinal)).Select(p => p.Key).FirstOrDefault()
            ?? fallbackBundle
            ?? environments.Environments.SelectMany(e => e.ListBundles().Where(b => BundleMentions(e, b, ship.Model))).FirstOrDefault();
        if (bundle is null)
        {
            problems.Add($"{ship}: no bundle: {PartitionManifest.FileName} places it in no partition and no environment bundle lists it (name one with --bundle)");
            return null;
        }

        foreach (var env in environments.Environments)
        {
            var served = env.DefaultVersion(ship.Model);
            if (env.ListVersions(ship.Model).Contains(ship.Version, StringComparer.Ordinal))
            {
                problems.Add($"{ship}: already published in {env.Name}");
            }
            else if (served is not null && ModelVersionComparer.Instance.Compare(ship.Version, served) <= 0)
            {
                problems.Add($"{ship}: not newer than version {served} that {env.Name} serves by default, so leaves would never serve it by default (to go back, roll back)");
            }
        }

        var features = signature.Info.Features.Order(StringComparer.Ordinal).ToList();
        return (new PendingVersion(ship.Model, ship.Version, bundle, source, signature.Sha256, features), signature.Info);
    }

    private static bool BundleMentions(EnvironmentDirectory env, string bundle, string model)
    {
        try
        {
            return env.ReadBundleBytes(bundle) is { } bytes && BundleJson.Parse(bytes).Models.ContainsKey(model);
        }
        catch (BundleException)
        {
            return false;
        }
    }

    private static FeatureRegistry? ReadRegistry(string path, List<string> problems)
    {
        try
        {
            return FeatureRegistryJson.ReadFile(path);
        }
        catch (FeatureRegistryException ex)
        {
            problems.Add($"the feature registry is needed to check the shipped signatures: {ex.Message}");
            return null;
        }
    }

    private static void CheckModels(IModelVersionCheck check, string repository, List<PendingVersion> pending, FeatureRegistry? registry, List<string> problems)
    {
        foreach (var version in pending)
        {
            foreach (var problem in check.Check(version.Model, version.Version, ModelRepositoryLayout.ModelPath(repository, version.Model, version.Version), registry))
            {
                problems.Add($"{version} fails the model check: {problem.Detail}");
            }
        }
    }

    private static void CheckRegistry(FeatureRegistry registry, List<ModuleInfo> signatures, List<string> problems)
    {
        foreach (var finding in FeatureRegistryCheck.Check(registry, signatures))
        {
            problems.Add($"{finding.Model}:{finding.Version} needs feature '{finding.Feature}' that the feature registry cannot serve: {finding.Message}");
        }
    }

    private static Dictionary<(string Env, string Bundle), BundleDocument?> ReadExistingBundles(
        ReleaseEnvironments environments, List<PendingVersion> pending, List<string> problems)
    {
        var result = new Dictionary<(string, string), BundleDocument?>();
        foreach (var env in environments.Environments)
        {
            foreach (var bundle in pending.Select(p => p.Bundle).Distinct(StringComparer.Ordinal))
            {
                try
                {
                    result[(env.Name, bundle)] = env.ReadBundleBytes(bundle) is { } bytes
                        ? BundleJson.Parse(bytes, $"bundle file {env.BundlePath(bundle)}")
                        : null;
                }
                catch (BundleException ex)
                {
                    problems.Add($"{env.Name}: {ex.Message} (fix or remove it before a release)");
                }
            }
        }

        return result;
    }

    // Leaves keep serving the current version by default until the pending one is loaded and
    // warm, so `latest` stays on the current version but its allowlist also carries the pending
    // version's features: a request naming no version is then complete whichever of the two a
    // leaf serves at that instant. Versions named exactly get their own allowlists.
    private static ComposedModel Bridge(EnvironmentDirectory env, PendingVersion pending, SignatureCatalog catalog, List<string> warnings)
    {
        var versions = catalog.Published(env, pending.Model, warnings);
        var current = env.DefaultVersion(pending.Model);
        var pendingSignature = new VersionSignature(pending.Model, pending.Version, pending.Features, pending.SignatureSha256);
        var latest = current is not null && versions.Any(v => v.Version == current) ? current : pending.Version;
        return new ComposedModel(pending.Model, [.. versions, pendingSignature], latest, latest == pending.Version ? [] : [pendingSignature]);
    }

    private static ComposedModel Final(EnvironmentDirectory env, PendingVersion pending, SignatureCatalog catalog)
    {
        var versions = catalog.Published(env, pending.Model, warnings: null);
        var pendingSignature = new VersionSignature(pending.Model, pending.Version, pending.Features, pending.SignatureSha256);
        return new ComposedModel(pending.Model, [.. versions, pendingSignature], pending.Version, []);
    }
}
