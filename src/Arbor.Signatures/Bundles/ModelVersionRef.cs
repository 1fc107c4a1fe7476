using Arbor.Signatures.Validation;

namespace Arbor.Signatures.Bundles;

/// <summary>A model and one of its versions, written <c>model:version</c>.</summary>
public sealed record ModelVersionRef(string Model, string Version)
{
    /// <summary>Parses <c>model:version</c>; throws <see cref="FormatException"/> naming the problem.</summary>
    public static ModelVersionRef Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == text.Length - 1)
        {
            throw new FormatException($"'{text}' is not model:version");
        }

        var model = text[..colon].Trim();
        var version = text[(colon + 1)..].Trim();
        if (!NameRules.IsValidPathSegmentName(model) || !NameRules.IsValidPathSegmentName(version))
        {
            throw new FormatException($"'{text}' is not model:version with valid names");
        }

        return new ModelVersionRef(model, version);
    }

    public override string ToString() => $"{Model}:{Version}";
}
