using System.Text;
using System.Text.Json;
using Arbor.Signatures.Validation;

namespace Arbor.Signatures.Signatures;

/// <summary>
/// Parses and validates <c>module_info.json</c> (schema <c>arbor.module_info/v1</c>). Every problem is
/// reported with its JSON path; a signature with any problem is rejected as a whole.
/// </summary>
public static class ModuleInfoParser
{
    /// <summary>The largest vector dimension a signature may declare.</summary>
    public const int MaxDim = 65_536;

    /// <summary>The largest id-list truncation length a signature may declare.</summary>
    public const int MaxIdListLength = 1_000_000;

    /// <summary>The most features one dense input may list.</summary>
    public const int MaxDenseFeatures = 100_000;

    /// <summary>Parses a signature or throws <see cref="SignatureException"/> listing every problem.</summary>
    /// <param name="utf8Json">The bytes of <c>module_info.json</c>.</param>
    /// <param name="subject">What is being read, for the error message (e.g. the archive path).</param>
    public static ModuleInfo Parse(ReadOnlyMemory<byte> utf8Json, string subject = "module_info.json")
    {
        if (TryParse(utf8Json, out var info, out var problems))
        {
            return info!;
        }

        throw new SignatureException(subject, problems);
    }

    public static ModuleInfo Parse(string json, string subject = "module_info.json") =>
        Parse(Encoding.UTF8.GetBytes(json), subject);

    /// <summary>Parses a signature; on failure returns false and every problem found.</summary>
    public static bool TryParse(ReadOnlyMemory<byte> utf8Json, out ModuleInfo? info, out IReadOnlyList<ArtefactProblem> problems)
    {
        info = null;
        using var document = JsonFieldReader.TryParse(utf8Json, out var syntaxProblem);
        if (document is null)
        {
            problems = [syntaxProblem!];
            return false;
        }

        var reader = new JsonFieldReader();
        info = Read(document.RootElement, reader);
        problems = reader.Problems;
        if (reader.HasProblems)
        {
            info = null;
            return false;
        }

        return true;
    }

    private static ModuleInfo? Read(JsonElement root, JsonFieldReader reader)
    {
        if (!reader.ExpectKind(root, "$", JsonValueKind.Object))
        {
            return null;
        }

        var schema = reader.RequiredString(root, "schema", "$");
        if (schema is not null && schema != ModuleInfo.SchemaV1)
        {
            reader.Add("$.schema", $"unknown schema '{schema}' (this reader understands {ModuleInfo.SchemaV1})");
        }

        var model = reader.RequiredString(root, "model", "$");
        if (model is not null && !NameRules.IsValidPathSegmentName(model))
        {
            reader.Add("$.model", $"'{model}' is not a valid model name (letters, digits, '_', '-', '.'; not starting with '.')");
        }

        var version = ReadVersion(root, reader);
        var inputs = ReadInputs(root, reader);
        var outputs = ReadOutputs(root, reader);
        return reader.HasProblems ? null : new ModuleInfo(schema!, model!, version!, inputs, outputs);
    }

    private static string? ReadVersion(JsonElement root, JsonFieldReader reader)
    {
        if (root.TryGetProperty("version", out var raw) && raw.ValueKind == JsonValueKind.Number)
        {
            reader.Add("$.version", $"must be a string (write \"{raw.GetRawText()}\")");
            return null;
        }

        var version = reader.RequiredString(root, "version", "$");
        if (version is not null && !NameRules.IsValidPathSegmentName(version))
        {
            reader.Add("$.version", $"'{version}' is not a valid version name (letters, digits, '_', '-', '.'; not starting with '.')");
        }

        return version;
    }

    private static List<ModelInput> ReadInputs(JsonElement root, JsonFieldReader reader)
    {
        var inputs = new List<ModelInput>();
        if (reader.Required(root, "inputs", "$", JsonValueKind.Array) is not { } array)
        {
            return inputs;
        }

        if (array.GetArrayLength() == 0)
        {
            reader.Add("$.inputs", "must list at least one input");
        }

        var inputNames = new Dictionary<string, int>(StringComparer.Ordinal);
        var featureOwners = new Dictionary<string, string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var element in array.EnumerateArray())
        {
            var path = JsonFieldReader.Index("$.inputs", index);
            if (ReadInput(element, path, reader) is { } input)
            {
                if (inputNames.TryGetValue(input.Name, out var first))
                {
                    reader.Add(JsonFieldReader.Child(path, "name"), $"input name '{input.Name}' is used twice (first at $.inputs[{first}])");
                }
                else
                {
                    inputNames.Add(input.Name, index);
                }

                for (var i = 0; i < input.Features.Count; i++)
                {
                    var featurePath = JsonFieldReader.Index(JsonFieldReader.Child(path, "features"), i);
                    if (!featureOwners.TryAdd(input.Features[i], featurePath))
                    {
                        reader.Add(featurePath, $"feature '{input.Features[i]}' is listed twice (also at {featureOwners[input.Features[i]]})");
                    }
                }

                inputs.Add(input);
            }

            index++;
        }

        return inputs;
    }

    private static ModelInput? ReadInput(JsonElement element, string path, JsonFieldReader reader)
    {
        if (!reader.ExpectKind(element, path, JsonValueKind.Object))
        {
            return null;
        }

        var before = reader.Problems.Count;
        var name = reader.RequiredString(element, "name", path);
        var kindText = reader.RequiredString(element, "kind", path);
        var kind = kindText switch
        {
            null => (InputKind?)null,
            "dense" => InputKind.Dense,
            "vector" => InputKind.Vector,
            "id_list" => InputKind.IdList,
            _ => null,
        };
        if (kindText is not null && kind is null)
        {
            reader.Add(JsonFieldReader.Child(path, "kind"), $"unknown kind '{kindText}' (expected dense, vector or id_list)");
        }

        var dtypeText = reader.RequiredString(element, "dtype", path);
        var dtype = dtypeText switch
        {
            null => (TensorDType?)null,
            "float32" => TensorDType.Float32,
            "int64" => TensorDType.Int64,
            _ => null,
        };
        if (dtypeText is not null && dtype is null)
        {
            reader.Add(JsonFieldReader.Child(path, "dtype"), $"unknown dtype '{dtypeText}' (expected float32 or int64)");
        }

        if (kind is { } k && dtype is { } d && d != ExpectedDType(k))
        {
            reader.Add(JsonFieldReader.Child(path, "dtype"), $"a {kindText} input must have dtype {(ExpectedDType(k) == TensorDType.Int64 ? "int64" : "float32")}, not {dtypeText}");
        }

        var features = reader.RequiredStringArray(element, "features", path, "feature", allowEmpty: false);
        var featuresPath = JsonFieldReader.Child(path, "features");
        if (features is not null)
        {
            for (var i = 0; i < features.Count; i++)
            {
                if (!NameRules.IsValidFeatureName(features[i]))
                {
                    reader.Add(featuresPath, $"'{features[i]}' is not a valid feature name (letters, digits, '_', '-', '.', ':', '/')");
                }
            }

            if (kind is InputKind.Vector or InputKind.IdList && features.Count > 1)
            {
                reader.Add(featuresPath, $"a {kindText} input takes exactly one feature, got {features.Count}");
            }
            else if (kind is InputKind.Dense && features.Count > MaxDenseFeatures)
            {
                reader.Add(featuresPath, $"a dense input takes at most {MaxDenseFeatures} features, got {features.Count}");
            }
        }

        var dim = ReadKindSpecificInteger(element, path, "dim", kind, InputKind.Vector, MaxDim, reader);
        var maxLength = ReadKindSpecificInteger(element, path, "max_length", kind, InputKind.IdList, MaxIdListLength, reader);
        var defaultValue = reader.OptionalNumber(element, "default", path);
        if (defaultValue is not null && kind is InputKind.IdList)
        {
            reader.Add(JsonFieldReader.Child(path, "default"), "an id_list input takes no default (an absent id list is empty)");
        }
        else if (defaultValue is { } value && (float)value is var single && !float.IsFinite(single))
        {
            reader.Add(JsonFieldReader.Child(path, "default"), $"{value} does not fit in float32");
        }

        if (reader.Problems.Count != before)
        {
            return null;
        }

        return new ModelInput(name!, kind!.Value, dtype!.Value, features!, dim, maxLength, defaultValue ?? 0.0);
    }

    private static int? ReadKindSpecificInteger(
        JsonElement element, string path, string field, InputKind? kind, InputKind owner, int max, JsonFieldReader reader)
    {
        var ownerText = owner == InputKind.Vector ? "vector" : "id_list";
        if (kind is null)
        {
            return (int?)reader.OptionalInteger(element, field, path, 1, max);
        }

        if (kind != owner)
        {
            if (JsonFieldReader.Has(element, field))
            {
                reader.Add(JsonFieldReader.Child(path, field), $"{field} only applies to {ownerText} inputs");
            }

            return null;
        }

        return reader.Required(element, field, path, JsonValueKind.Number) is { } value
            ? (int?)reader.Integer(value, JsonFieldReader.Child(path, field), 1, max)
            : null;
    }

    private static TensorDType ExpectedDType(InputKind kind) =>
        kind == InputKind.IdList ? TensorDType.Int64 : TensorDType.Float32;

    private static List<ModelOutput> ReadOutputs(JsonElement root, JsonFieldReader reader)
    {
        var outputs = new List<ModelOutput>();
        if (reader.Required(root, "outputs", "$", JsonValueKind.Array) is not { } array)
        {
            return outputs;
        }

        if (array.GetArrayLength() == 0)
        {
            reader.Add("$.outputs", "must list at least one output");
        }

        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        var index = 0;
        foreach (var element in array.EnumerateArray())
        {
            var path = JsonFieldReader.Index("$.outputs", index);
            if (reader.ExpectKind(element, path, JsonValueKind.Object) && reader.RequiredString(element, "name", path) is { } name)
            {
                if (!names.TryAdd(name, index))
                {
                    reader.Add(JsonFieldReader.Child(path, "name"), $"output '{name}' is listed twice (first at $.outputs[{names[name]}])");
                }
                else
                {
                    outputs.Add(new ModelOutput(name));
                }
            }

            index++;
        }

        return outputs;
    }
}
