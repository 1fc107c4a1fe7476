using Arbor.Release.Environments;
using Arbor.Signatures.Archives;
using Arbor.Signatures.Signatures;

namespace Arbor.Release.Planning;

/// <summary>Reads (once each) the signatures of model archives, checking they name the model and version of their folder.</summary>
internal sealed class SignatureCatalog
{
    private readonly Dictionary<string, (ModelSignature? Signature, string? Problem)> _byPath = new(StringComparer.Ordinal);

    /// <summary>The signature of <paramref name="archive"/>, or null and why not.</summary>
    public ModelSignature? TryRead(string archive, string model, string version, out string? problem)
    {
        if (!_byPath.TryGetValue(archive, out var entry))
        {
            entry = Read(archive, model, version);
            _byPath[archive] = entry;
        }

        problem = entry.Problem;
        return entry.Signature;
    }

    public VersionSignature? TryReadSummary(string archive, string model, string version, out string? problem) =>
        TryRead(archive, model, version, out problem) is { } signature
            ? new VersionSignature(model, version, signature.Info.Features.Order(StringComparer.Ordinal).ToList(), signature.Sha256)
            : null;

    /// <summary>The signatures of a model's published versions in an environment, oldest first; versions without one are reported and left out.</summary>
    public List<VersionSignature> Published(EnvironmentDirectory env, string model, List<string>? warnings)
    {
        var result = new List<VersionSignature>();
        foreach (var version in env.ListVersions(model))
        {
            if (TryReadSummary(env.ArchivePath(model, version), model, version, out var problem) is { } signature)
            {
                result.Add(signature);
            }
            else
            {
                warnings?.Add($"{env.Name}: {model}:{version} has no valid signature, so no allowlist ({problem}); roots trim it with the latest allowlist");
            }
        }

        return result;
    }

    private static (ModelSignature?, string?) Read(string archive, string model, string version)
    {
        if (!File.Exists(archive))
        {
            return (null, $"no model archive at {archive}");
        }

        try
        {
            var signature = ModelArchiveReader.Read(archive);
            if (signature.Info.Model != model || signature.Info.Version != version)
            {
                return (null, $"the signature in {archive} names {signature.Info.Model}:{signature.Info.Version}, not {model}:{version}");
            }

            return (signature, null);
        }
        catch (SignatureException ex)
        {
            return (null, ex.Message);
        }
    }
}
