using Arbor.Signatures.Archives;
using Arbor.Signatures.Signatures;
using Arbor.Signatures.Validation;

namespace Arbor.Signatures.Bundles;

/// <summary>
/// Builds a bundle mapping from the signatures of model versions in a repository. A version whose
/// signature is missing, corrupt or names another model/version is left out with a warning, never
/// failing the build: the root then sends that version untrimmed, which is safe. With a model
/// check, a version that fails it stays listed but is never made latest; a build that would have to
/// make one latest (it is named with --latest, or no version of its model passes) is refused.
/// </summary>
public sealed class BundleBuilder(TimeProvider timeProvider)
{
    /// <summary>Builds the bundle; throws <see cref="BundleException"/> only when the request itself is unusable.</summary>
    public BundleBuildResult Build(BundleBuildRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!NameRules.IsValidPathSegmentName(request.Bundle))
        {
            throw new BundleException("bundle build", [new ArtefactProblem("bundle", $"'{request.Bundle}' is not a valid bundle name")]);
        }

        if (!Directory.Exists(request.Repository))
        {
            throw new BundleException("bundle build", [new ArtefactProblem("repository", $"model repository '{request.Repository}' does not exist")]);
        }

        var warnings = new List<BundleBuildWarning>();
        var refusals = new List<ArtefactProblem>();
        var signatures = new List<ModuleInfo>();
        var models = new Dictionary<string, BundleModel>(StringComparer.Ordinal);
        foreach (var (model, versions) in Select(request, warnings))
        {
            var included = new Dictionary<string, BundleModelVersion>(StringComparer.Ordinal);
            foreach (var version in versions)
            {
                if (ReadVersion(request.Repository, model, version, warnings) is { } signature)
                {
                    included[version] = new BundleModelVersion(
                        signature.Info.Features.Order(StringComparer.Ordinal).ToList(), signature.Sha256);
                    signatures.Add(signature.Info);
                }
            }

            if (included.Count == 0)
            {
                warnings.Add(new BundleBuildWarning(model, null, "no version with a valid signature; the model is left out (sent untrimmed)"));
                continue;
            }

            var eligible = Eligible(request, model, included.Keys, warnings, refusals);
            if (eligible.Count == 0)
            {
                continue;
            }

            var failing = included.Keys.Except(eligible, StringComparer.Ordinal).ToList();
            models[model] = new BundleModel(ChooseLatest(model, eligible, failing, request.Latest, warnings, refusals), included);
        }

        if (refusals.Count > 0)
        {
            throw new BundleException($"bundle {request.Bundle}", refusals);
        }

        var document = new BundleDocument(BundleDocument.SchemaV1, request.Bundle, timeProvider.GetUtcNow(), models);
        return new BundleBuildResult(document, signatures, warnings);
    }

    private static IEnumerable<(string Model, IReadOnlyList<string> Versions)> Select(BundleBuildRequest request, List<BundleBuildWarning> warnings)
    {
        var repository = request.Repository;
        if (request.Versions is { Count: > 0 } exact)
        {
            return exact
                .GroupBy(v => v.Model, StringComparer.Ordinal)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => (g.Key, (IReadOnlyList<string>)g.Select(v => v.Version).Distinct(StringComparer.Ordinal).Order(ModelVersionComparer.Instance).ToList()));
        }

        IReadOnlyList<string> names;
        IReadOnlyDictionary<string, IReadOnlyList<string>>? pinned = null;
        var manifestPath = Path.Combine(repository, PartitionManifest.FileName);
        if (request.Models is { Count: > 0 } listed)
        {
            names = listed.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        }
        else if (File.Exists(manifestPath) && PartitionManifestJson.ReadFile(manifestPath).Partitions.TryGetValue(request.Bundle, out var partition))
        {
            names = partition.Models.Order(StringComparer.Ordinal).ToList();
            pinned = partition.Versions;
        }
        else
        {
            names = ModelRepositoryLayout.ListModels(repository);
        }

        var selected = new List<(string, IReadOnlyList<string>)>();
        foreach (var model in names)
        {
            var versions = pinned is not null && pinned.TryGetValue(model, out var fixedVersions)
                ? fixedVersions
                : ModelRepositoryLayout.ListVersions(repository, model);
            if (versions.Count == 0)
            {
                warnings.Add(new BundleBuildWarning(model, null, Directory.Exists(Path.Combine(repository, model))
                    ? "no version directories in the repository"
                    : "model not found in the repository"));
                continue;
            }

            selected.Add((model, versions));
        }

        return selected;
    }

    private static ModelSignature? ReadVersion(string repository, string model, string version, List<BundleBuildWarning> warnings)
    {
        var path = ModelRepositoryLayout.ModelPath(repository, model, version);
        if (!File.Exists(path))
        {
            warnings.Add(new BundleBuildWarning(model, version, $"no {ModelRepositoryLayout.ModelFileName} at {path}"));
            return null;
        }

        ModelSignature signature;
        try
        {
            signature = ModelArchiveReader.Read(path);
        }
        catch (SignatureException ex)
        {
            warnings.Add(new BundleBuildWarning(model, version, ex.Message));
            return null;
        }

        if (signature.Info.Model != model || signature.Info.Version != version)
        {
            warnings.Add(new BundleBuildWarning(model, version,
                $"signature names {signature.Info.Model}/{signature.Info.Version} but the archive sits at {model}/{version}"));
            return null;
        }

        return signature;
    }

    // The versions that may be latest: all of them, or with a check those it finds clean. A model
    // none of whose versions passes is a refusal: there is no latest to give it.
    private static List<string> Eligible(
        BundleBuildRequest request, string model, IEnumerable<string> included, List<BundleBuildWarning> warnings, List<ArtefactProblem> refusals)
    {
        var versions = included.ToList();
        if (request.Check is not { } check)
        {
            return versions;
        }

        var eligible = new List<string>();
        var failures = new List<string>();
        foreach (var version in versions)
        {
            var problems = check.Check(model, version, ModelRepositoryLayout.ModelPath(request.Repository, model, version), request.Registry);
            if (problems.Count == 0)
            {
                eligible.Add(version);
                continue;
            }

            var reasons = string.Join("; ", problems.Select(p => p.Detail));
            failures.Add($"{version} ({reasons})");
            warnings.Add(new BundleBuildWarning(model, version, $"listed but never made latest: it fails the model check: {reasons}"));
        }

        if (eligible.Count == 0)
        {
            refusals.Add(new ArtefactProblem($"models.{model}.latest", $"no version of {model} passes the model check, so none can be latest: {string.Join(", ", failures)}"));
        }

        return eligible;
    }

    private static string ChooseLatest(
        string model, List<string> versions, List<string> failing, IReadOnlyDictionary<string, string>? overrides,
        List<BundleBuildWarning> warnings, List<ArtefactProblem> refusals)
    {
        var greatest = ModelVersionComparer.Latest(versions);
        if (overrides is null || !overrides.TryGetValue(model, out var wanted))
        {
            return greatest;
        }

        if (versions.Contains(wanted, StringComparer.Ordinal))
        {
            return wanted;
        }

        if (failing.Contains(wanted, StringComparer.Ordinal))
        {
            refusals.Add(new ArtefactProblem($"models.{model}.latest", $"{model}:{wanted} is requested as latest but fails the model check"));
            return greatest;
        }

        warnings.Add(new BundleBuildWarning(model, wanted, $"requested as latest but not in the bundle; latest is {greatest}"));
        return greatest;
    }
}
