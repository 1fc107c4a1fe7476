using Arbor.Signatures.Archives;
using Arbor.Signatures.Checking;
using Arbor.Signatures.Registry;
using Arbor.Signatures.Validation;

namespace Arbor.Leaf.Checking;

/// <summary>Runs a model check over a repository's versions: all of them, one model's, or one.</summary>
public static class RepositoryCheck
{
    /// <param name="check">The check to run on each version.</param>
    /// <param name="repository">The model repository (<c>&lt;repo&gt;/&lt;model&gt;/&lt;version&gt;/model.pt</c>).</param>
    /// <param name="registry">The feature registry, or null to skip the registry checks.</param>
    /// <param name="registryPath">Where the registry came from, for the report.</param>
    /// <param name="model">Only this model (every version of it unless <paramref name="version"/> is given).</param>
    /// <param name="version">Only this version of <paramref name="model"/>.</param>
    /// <exception cref="ArgumentException">The repository does not exist, or a version is named without its model.</exception>
    public static ModelCheckReport Run(
        IModelVersionCheck check, string repository, FeatureRegistry? registry, string? registryPath = null, string? model = null, string? version = null)
    {
        ArgumentNullException.ThrowIfNull(check);
        ArgumentException.ThrowIfNullOrEmpty(repository);
        if (!Directory.Exists(repository))
        {
            throw new ArgumentException($"model repository '{repository}' does not exist", nameof(repository));
        }

        if (version is not null && model is null)
        {
            throw new ArgumentException("a version is checked with its model (--model M --version V)", nameof(version));
        }

        foreach (var name in new[] { model, version })
        {
            if (name is not null && !NameRules.IsValidPathSegmentName(name))
            {
                throw new ArgumentException($"'{name}' is not a valid model or version name", name == model ? nameof(model) : nameof(version));
            }
        }

        var results = new List<VersionCheckResult>();
        IReadOnlyList<string> models = model is not null ? [model] : ModelRepositoryLayout.ListModels(repository);
        foreach (var m in models)
        {
            IReadOnlyList<string> versions = version is not null ? [version] : ModelRepositoryLayout.ListVersions(repository, m);
            if (versions.Count == 0 && model is not null)
            {
                results.Add(new VersionCheckResult(m, string.Empty, [new ModelCheckProblem(m, string.Empty, ModelCheckProblemKind.Unloadable, $"no version of {m} in the repository")]));
            }

            foreach (var v in versions)
            {
                var path = ModelRepositoryLayout.ModelPath(repository, m, v);
                results.Add(File.Exists(path)
                    ? new VersionCheckResult(m, v, check.Check(m, v, path, registry))
                    : new VersionCheckResult(m, v, [new ModelCheckProblem(m, v, ModelCheckProblemKind.Unloadable, $"no {ModelRepositoryLayout.ModelFileName} in the repository at {m}/{v}")]));
            }
        }

        return new ModelCheckReport(repository, registryPath, results);
    }
}
