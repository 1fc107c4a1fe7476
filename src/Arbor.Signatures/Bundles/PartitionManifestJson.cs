using System.Text;
using System.Text.Json;
using Arbor.Signatures.Validation;

namespace Arbor.Signatures.Bundles;

/// <summary>Reads and validates <c>partitions.json</c> (<c>arbor.partitions/v1</c>).</summary>
public static class PartitionManifestJson
{
    public static PartitionManifest Parse(ReadOnlyMemory<byte> utf8Json, string subject = "partition manifest")
    {
        using var json = JsonFieldReader.TryParse(utf8Json, out var syntaxProblem)
            ?? throw new BundleException(subject, [syntaxProblem!]);
        var reader = new JsonFieldReader();
        var manifest = Read(json.RootElement, reader);
        return reader.HasProblems ? throw new BundleException(subject, reader.Problems) : manifest!;
    }

    public static PartitionManifest Parse(string json, string subject = "partition manifest") =>
        Parse(Encoding.UTF8.GetBytes(json), subject);

    public static PartitionManifest ReadFile(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new BundleException($"partition manifest {path}", [new ArtefactProblem("(file)", $"cannot be read: {ex.Message}")], ex);
        }

        return Parse(bytes, $"partition manifest {path}");
    }

    private static PartitionManifest? Read(JsonElement root, JsonFieldReader reader)
    {
        if (!reader.ExpectKind(root, "$", JsonValueKind.Object))
        {
            return null;
        }

        var schema = reader.RequiredString(root, "schema", "$");
        if (schema is not null && schema != PartitionManifest.SchemaV1)
        {
            reader.Add("$.schema", $"unknown schema '{schema}' (this reader understands {PartitionManifest.SchemaV1})");
        }

        var partitions = new Dictionary<string, Partition>(StringComparer.Ordinal);
        if (reader.Required(root, "partitions", "$", JsonValueKind.Object) is { } element)
        {
            foreach (var property in element.EnumerateObject())
            {
                var path = JsonFieldReader.Child("$.partitions", property.Name);
                if (!reader.ExpectKind(property.Value, path, JsonValueKind.Object))
                {
                    continue;
                }

                var production = reader.RequiredString(property.Value, "production", path);
                var models = reader.RequiredStringArray(property.Value, "models", path, "model", allowEmpty: false);
                if (production is not null && models is not null && !models.Contains(production, StringComparer.Ordinal))
                {
                    reader.Add(JsonFieldReader.Child(path, "production"), $"production model '{production}' is not among the partition's models");
                }

                var versions = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
                if (reader.Optional(property.Value, "versions", path, JsonValueKind.Object) is { } versionsElement)
                {
                    foreach (var model in versionsElement.EnumerateObject())
                    {
                        var list = reader.RequiredStringArray(versionsElement, model.Name, JsonFieldReader.Child(path, "versions"), "version", allowEmpty: false);
                        if (list is not null)
                        {
                            versions[model.Name] = list;
                        }
                    }
                }

                if (production is not null && models is not null)
                {
                    partitions[property.Name] = new Partition(production, models, versions);
                }
            }
        }

        return reader.HasProblems ? null : new PartitionManifest(schema!, partitions);
    }
}
