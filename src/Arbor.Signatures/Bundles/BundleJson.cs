using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Arbor.Signatures.Validation;

namespace Arbor.Signatures.Bundles;

/// <summary>
/// Reads, validates and writes bundle mapping files (<c>arbor.bundle/v1</c>). Writing is canonical:
/// models and features sorted ordinally, versions by <see cref="ModelVersionComparer"/>, two-space
/// indentation and a final newline, so the same content always gives the same bytes.
/// </summary>
public static class BundleJson
{
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = true, IndentSize = 2 };

    /// <summary>Parses a bundle file or throws <see cref="BundleException"/> listing every problem.</summary>
    public static BundleDocument Parse(ReadOnlyMemory<byte> utf8Json, string subject = "bundle")
    {
        if (TryParse(utf8Json, out var document, out var problems))
        {
            return document!;
        }

        throw new BundleException(subject, problems);
    }

    public static BundleDocument Parse(string json, string subject = "bundle") =>
        Parse(Encoding.UTF8.GetBytes(json), subject);

    /// <summary>Reads and parses a bundle file; an unreadable file is a <see cref="BundleException"/> too.</summary>
    public static BundleDocument ReadFile(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new BundleException($"bundle file {path}", [new ArtefactProblem("(file)", $"cannot be read: {ex.Message}")], ex);
        }

        return Parse(bytes, $"bundle file {path}");
    }

    /// <summary>Parses a bundle file; on failure returns false and every problem with its JSON path.</summary>
    public static bool TryParse(ReadOnlyMemory<byte> utf8Json, out BundleDocument? document, out IReadOnlyList<ArtefactProblem> problems)
    {
        document = null;
        using var json = JsonFieldReader.TryParse(utf8Json, out var syntaxProblem);
        if (json is null)
        {
            problems = [syntaxProblem!];
            return false;
        }

        var reader = new JsonFieldReader();
        document = Read(json.RootElement, reader);
        problems = reader.Problems;
        if (reader.HasProblems)
        {
            document = null;
            return false;
        }

        return true;
    }

    /// <summary>Writes the canonical UTF-8 form of a bundle.</summary>
    public static void Write(BundleDocument document, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(document);
        using (var writer = new Utf8JsonWriter(output, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("schema", document.Schema);
            writer.WriteString("bundle", document.Bundle);
            writer.WriteString("generated_at", document.GeneratedAt.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            writer.WriteStartObject("models");
            foreach (var (modelName, model) in document.Models.OrderBy(m => m.Key, StringComparer.Ordinal))
            {
                writer.WriteStartObject(modelName);
                writer.WriteString("latest", model.Latest);
                writer.WriteStartObject("versions");
                foreach (var (versionName, version) in model.Versions.OrderBy(v => v.Key, ModelVersionComparer.Instance))
                {
                    writer.WriteStartObject(versionName);
                    writer.WriteStartArray("features");
                    foreach (var feature in version.Features.Order(StringComparer.Ordinal))
                    {
                        writer.WriteStringValue(feature);
                    }

                    writer.WriteEndArray();
                    writer.WriteString("signature_sha256", version.SignatureSha256);
                    writer.WriteEndObject();
                }

                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        output.Write("\n"u8);
    }

    /// <summary>The canonical UTF-8 bytes of a bundle.</summary>
    public static byte[] ToUtf8Bytes(BundleDocument document)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Write(document, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    public static string ToJsonString(BundleDocument document) => Encoding.UTF8.GetString(ToUtf8Bytes(document));

    private static BundleDocument? Read(JsonElement root, JsonFieldReader reader)
    {
        if (!reader.ExpectKind(root, "$", JsonValueKind.Object))
        {
            return null;
        }

        var schema = reader.RequiredString(root, "schema", "$");
        if (schema is not null && schema != BundleDocument.SchemaV1)
        {
            reader.Add("$.schema", $"unknown schema '{schema}' (this reader understands {BundleDocument.SchemaV1})");
        }

        var bundle = reader.RequiredString(root, "bundle", "$");
        if (bundle is not null && !NameRules.IsValidPathSegmentName(bundle))
        {
            reader.Add("$.bundle", $"'{bundle}' is not a valid bundle name (letters, digits, '_', '-', '.'; not starting with '.')");
        }

        var generatedAt = DateTimeOffset.MinValue;
        if (reader.RequiredString(root, "generated_at", "$") is { } stamp
            && !DateTimeOffset.TryParse(stamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out generatedAt))
        {
            reader.Add("$.generated_at", $"'{stamp}' is not an ISO 8601 timestamp");
        }

        var models = new Dictionary<string, BundleModel>(StringComparer.Ordinal);
        if (reader.Required(root, "models", "$", JsonValueKind.Object) is { } modelsElement)
        {
            foreach (var property in modelsElement.EnumerateObject())
            {
                var path = JsonFieldReader.Child("$.models", property.Name);
                if (!NameRules.IsValidPathSegmentName(property.Name))
                {
                    reader.Add(path, $"'{property.Name}' is not a valid model name");
                }

                if (ReadModel(property.Value, path, reader) is { } model)
                {
                    models[property.Name] = model;
                }
            }
        }

        return reader.HasProblems ? null : new BundleDocument(schema!, bundle!, generatedAt, models);
    }

    private static BundleModel? ReadModel(JsonElement element, string path, JsonFieldReader reader)
    {
        if (!reader.ExpectKind(element, path, JsonValueKind.Object))
        {
            return null;
        }

        var latest = reader.RequiredString(element, "latest", path);
        var versions = new Dictionary<string, BundleModelVersion>(StringComparer.Ordinal);
        if (reader.Required(element, "versions", path, JsonValueKind.Object) is { } versionsElement)
        {
            var versionsPath = JsonFieldReader.Child(path, "versions");
            foreach (var property in versionsElement.EnumerateObject())
            {
                var versionPath = JsonFieldReader.Child(versionsPath, property.Name);
                if (!NameRules.IsValidPathSegmentName(property.Name))
                {
                    reader.Add(versionPath, $"'{property.Name}' is not a valid version name");
                }

                if (ReadVersion(property.Value, versionPath, reader) is { } version)
                {
                    versions[property.Name] = version;
                }
            }

            if (!versionsElement.EnumerateObject().Any())
            {
                reader.Add(versionsPath, "must hold at least one version");
            }
            else if (latest is not null && !versionsElement.TryGetProperty(latest, out _))
            {
                reader.Add(JsonFieldReader.Child(path, "latest"), $"latest version '{latest}' is not among the versions");
            }
        }

        return latest is null ? null : new BundleModel(latest, versions);
    }

    private static BundleModelVersion? ReadVersion(JsonElement element, string path, JsonFieldReader reader)
    {
        if (!reader.ExpectKind(element, path, JsonValueKind.Object))
        {
            return null;
        }

        var features = reader.RequiredStringArray(element, "features", path, "feature", allowEmpty: false);
        var sha = reader.RequiredString(element, "signature_sha256", path);
        if (sha is not null && !IsSha256Hex(sha))
        {
            reader.Add(JsonFieldReader.Child(path, "signature_sha256"), $"'{sha}' is not a lower-case hex SHA-256 (64 characters 0-9a-f)");
            sha = null;
        }

        return features is null || sha is null ? null : new BundleModelVersion(features, sha);
    }

    private static bool IsSha256Hex(string text) =>
        text.Length == 64 && text.AsSpan().IndexOfAnyExcept("0123456789abcdef") < 0;
}
