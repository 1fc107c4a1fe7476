using System.Buffers;
using System.Text;
using System.Text.Json;
using Arbor.Features.Values;
using Arbor.Signatures.Validation;

namespace Arbor.Signatures.Registry;

/// <summary>Reads, validates and writes feature registry files (<c>arbor.feature_registry/v1</c>).</summary>
public static class FeatureRegistryJson
{
    /// <summary>The largest float-vector dimension the registry accepts.</summary>
    public const int MaxDim = 65_536;

    private static readonly JsonWriterOptions WriterOptions = new() { Indented = true, IndentSize = 2 };

    public static FeatureRegistry Parse(ReadOnlyMemory<byte> utf8Json, string subject = "feature registry")
    {
        if (TryParse(utf8Json, out var registry, out var problems))
        {
            return registry!;
        }

        throw new FeatureRegistryException(subject, problems);
    }

    public static FeatureRegistry Parse(string json, string subject = "feature registry") =>
        Parse(Encoding.UTF8.GetBytes(json), subject);

    public static FeatureRegistry ReadFile(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new FeatureRegistryException($"feature registry {path}", [new ArtefactProblem("(file)", $"cannot be read: {ex.Message}")], ex);
        }

        return Parse(bytes, $"feature registry {path}");
    }

    public static bool TryParse(ReadOnlyMemory<byte> utf8Json, out FeatureRegistry? registry, out IReadOnlyList<ArtefactProblem> problems)
    {
        registry = null;
        using var json = JsonFieldReader.TryParse(utf8Json, out var syntaxProblem);
        if (json is null)
        {
            problems = [syntaxProblem!];
            return false;
        }

        var reader = new JsonFieldReader();
        registry = Read(json.RootElement, reader);
        problems = reader.Problems;
        if (reader.HasProblems)
        {
            registry = null;
            return false;
        }

        return true;
    }

    /// <summary>The JSON name of a feature type (<c>float_vector</c>...).</summary>
    public static string TypeName(FeatureType type) => type switch
    {
        FeatureType.Float => "float",
        FeatureType.Int64 => "int64",
        FeatureType.FloatVector => "float_vector",
        FeatureType.Int64List => "int64_list",
        FeatureType.String => "string",
        FeatureType.Bytes => "bytes",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    public static string EntityName(FeatureEntity entity) => entity switch
    {
        FeatureEntity.User => "user",
        FeatureEntity.Candidate => "candidate",
        FeatureEntity.Context => "context",
        _ => throw new ArgumentOutOfRangeException(nameof(entity), entity, null),
    };

    public static string TransformName(TransformKind kind) => kind switch
    {
        TransformKind.DefaultFill => "default_fill",
        TransformKind.Clip => "clip",
        TransformKind.Log1p => "log1p",
        TransformKind.Bucketize => "bucketize",
        TransformKind.HashToId => "hash_to_id",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>The JSON name of a client value action (<c>reject</c>, <c>default</c>).</summary>
    public static string ActionName(ClientValueAction action) => action switch
    {
        ClientValueAction.Reject => "reject",
        ClientValueAction.Default => "default",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, null),
    };

    /// <summary>The JSON name of an unknown-feature action (<c>drop</c>, <c>reject</c>).</summary>
    public static string ActionName(UnknownFeatureAction action) => action switch
    {
        UnknownFeatureAction.Drop => "drop",
        UnknownFeatureAction.Reject => "reject",
        _ => throw new ArgumentOutOfRangeException(nameof(action), action, null),
    };

    /// <summary>Writes a registry in its canonical form (features in the given order).</summary>
    public static void Write(FeatureRegistry registry, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(registry);
        using (var writer = new Utf8JsonWriter(output, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("schema", registry.Schema);
            if (registry.InputPolicy is { } policy)
            {
                writer.WriteStartObject("input_policy");
                writer.WriteString("non_finite", ActionName(policy.NonFinite));
                writer.WriteString("out_of_type", ActionName(policy.OutOfType));
                writer.WriteString("no_kind", ActionName(policy.NoKind));
                writer.WriteString("unknown_feature", ActionName(policy.UnknownFeature));
                writer.WriteEndObject();
            }

            writer.WriteStartArray("features");
            foreach (var feature in registry.Features)
            {
                writer.WriteStartObject();
                writer.WriteString("name", feature.Name);
                writer.WriteString("type", TypeName(feature.Type));
                writer.WriteString("entity", EntityName(feature.Entity));
                if (feature.Dim is { } dim)
                {
                    writer.WriteNumber("dim", dim);
                }

                if (feature.Ids is { } ids)
                {
                    writer.WriteNumber("min", ids.Min);
                    writer.WriteNumber("max", ids.Max);
                }

                if (feature.Transforms is { Count: > 0 } transforms)
                {
                    writer.WriteStartArray("transforms");
                    foreach (var transform in transforms)
                    {
                        WriteTransform(writer, transform);
                    }

                    writer.WriteEndArray();
                }

                if (feature.Description is { } description)
                {
                    writer.WriteString("description", description);
                }

                if (feature.InputPolicy is { } overrides)
                {
                    WriteOverrides(writer, overrides);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        output.Write("\n"u8);
    }

    public static string ToJsonString(FeatureRegistry registry)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Write(registry, buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteOverrides(Utf8JsonWriter writer, FeatureInputPolicy overrides)
    {
        writer.WriteStartObject("input_policy");
        if (overrides.NonFinite is { } nonFinite)
        {
            writer.WriteString("non_finite", ActionName(nonFinite));
        }

        if (overrides.OutOfType is { } outOfType)
        {
            writer.WriteString("out_of_type", ActionName(outOfType));
        }

        if (overrides.NoKind is { } noKind)
        {
            writer.WriteString("no_kind", ActionName(noKind));
        }

        writer.WriteEndObject();
    }

    private static void WriteTransform(Utf8JsonWriter writer, FeatureTransform transform)
    {
        writer.WriteStartObject();
        writer.WriteString("kind", TransformName(transform.Kind));
        if (transform.Fill is { } fill)
        {
            writer.WriteNumber("fill", fill);
        }

        if (transform.Min is { } min)
        {
            writer.WriteNumber("min", min);
        }

        if (transform.Max is { } max)
        {
            writer.WriteNumber("max", max);
        }

        if (transform.Boundaries is { } boundaries)
        {
            writer.WriteStartArray("boundaries");
            foreach (var boundary in boundaries)
            {
                writer.WriteNumberValue(boundary);
            }

            writer.WriteEndArray();
        }

        if (transform.Buckets is { } buckets)
        {
            writer.WriteNumber("buckets", buckets);
        }

        writer.WriteEndObject();
    }

    private static FeatureRegistry? Read(JsonElement root, JsonFieldReader reader)
    {
        if (!reader.ExpectKind(root, "$", JsonValueKind.Object))
        {
            return null;
        }

        var schema = reader.RequiredString(root, "schema", "$");
        if (schema is not null && schema != FeatureRegistry.SchemaV1)
        {
            reader.Add("$.schema", $"unknown schema '{schema}' (this reader understands {FeatureRegistry.SchemaV1})");
        }

        var policy = ReadInputPolicy(root, reader);
        var features = new List<FeatureDefinition>();
        if (reader.Required(root, "features", "$", JsonValueKind.Array) is { } array)
        {
            var names = new Dictionary<string, int>(StringComparer.Ordinal);
            var index = 0;
            foreach (var element in array.EnumerateArray())
            {
                var path = JsonFieldReader.Index("$.features", index);
                if (ReadFeature(element, path, reader) is { } feature)
                {
                    if (!names.TryAdd(feature.Name, index))
                    {
                        reader.Add(JsonFieldReader.Child(path, "name"), $"feature '{feature.Name}' is defined twice (first at $.features[{names[feature.Name]}])");
                    }
                    else
                    {
                        features.Add(feature);
                    }
                }

                index++;
            }
        }

        return reader.HasProblems ? null : new FeatureRegistry(schema!, features, policy);
    }

    private static FeatureDefinition? ReadFeature(JsonElement element, string path, JsonFieldReader reader)
    {
        if (!reader.ExpectKind(element, path, JsonValueKind.Object))
        {
            return null;
        }

        var before = reader.Problems.Count;
        var name = reader.RequiredString(element, "name", path);
        if (name is not null && !NameRules.IsValidFeatureName(name))
        {
            reader.Add(JsonFieldReader.Child(path, "name"), $"'{name}' is not a valid feature name (letters, digits, '_', '-', '.', ':', '/')");
        }

        var typeText = reader.RequiredString(element, "type", path);
        FeatureType? type = typeText switch
        {
            null => null,
            "float" => FeatureType.Float,
            "int64" => FeatureType.Int64,
            "float_vector" => FeatureType.FloatVector,
            "int64_list" => FeatureType.Int64List,
            "string" => FeatureType.String,
            "bytes" => FeatureType.Bytes,
            _ => null,
        };
        if (typeText is not null && type is null)
        {
            reader.Add(JsonFieldReader.Child(path, "type"), $"unknown type '{typeText}' (expected float, int64, float_vector, int64_list, string or bytes)");
        }

        var entityText = reader.RequiredString(element, "entity", path);
        FeatureEntity? entity = entityText switch
        {
            null => null,
            "user" => FeatureEntity.User,
            "candidate" => FeatureEntity.Candidate,
            "context" => FeatureEntity.Context,
            _ => null,
        };
        if (entityText is not null && entity is null)
        {
            reader.Add(JsonFieldReader.Child(path, "entity"), $"unknown entity '{entityText}' (expected user, candidate or context)");
        }

        var dim = (int?)reader.OptionalInteger(element, "dim", path, 1, MaxDim);
        if (type == FeatureType.FloatVector && !JsonFieldReader.Has(element, "dim"))
        {
            reader.Add(JsonFieldReader.Child(path, "dim"), "missing required field (a float_vector feature declares its dim)");
        }
        else if (type is not null and not FeatureType.FloatVector && JsonFieldReader.Has(element, "dim"))
        {
            reader.Add(JsonFieldReader.Child(path, "dim"), "dim only applies to float_vector features");
        }

        var ids = ReadIdRange(element, path, type, reader);
        var transforms = new List<FeatureTransform>();
        if (reader.Optional(element, "transforms", path, JsonValueKind.Array) is { } array)
        {
            var index = 0;
            foreach (var item in array.EnumerateArray())
            {
                if (ReadTransform(item, JsonFieldReader.Index(JsonFieldReader.Child(path, "transforms"), index), type, reader) is { } transform)
                {
                    transforms.Add(transform);
                }

                index++;
            }
        }

        var description = reader.OptionalString(element, "description", path);
        var overrides = ReadFeatureInputPolicy(element, path, reader);
        if (reader.Problems.Count != before)
        {
            return null;
        }

        return new FeatureDefinition(name!, type!.Value, entity!.Value, dim, transforms.Count > 0 ? transforms : null, description, overrides, ids);
    }

    /// <summary>The registry-wide <c>input_policy</c> (every field optional), or null when absent.</summary>
    private static InputPolicy? ReadInputPolicy(JsonElement root, JsonFieldReader reader)
    {
        const string Path = "$.input_policy";
        if (reader.Optional(root, "input_policy", "$", JsonValueKind.Object) is not { } element)
        {
            return null;
        }

        CheckPolicyFields(element, Path, registryWide: true, reader);
        var defaults = InputPolicy.Default;
        UnknownFeatureAction? unknown = reader.OptionalString(element, "unknown_feature", Path) switch
        {
            null => null,
            "drop" => UnknownFeatureAction.Drop,
            "reject" => UnknownFeatureAction.Reject,
            var text => Invalid(text, "drop or reject"),
        };
        return new InputPolicy(
            ReadAction(element, "non_finite", Path, reader) ?? defaults.NonFinite,
            ReadAction(element, "out_of_type", Path, reader) ?? defaults.OutOfType,
            ReadAction(element, "no_kind", Path, reader) ?? defaults.NoKind,
            unknown ?? defaults.UnknownFeature);

        UnknownFeatureAction? Invalid(string text, string expected)
        {
            reader.Add(JsonFieldReader.Child(Path, "unknown_feature"), $"unknown action '{text}' (expected {expected})");
            return null;
        }
    }

    /// <summary>A feature's <c>input_policy</c> overrides, or null when absent.</summary>
    private static FeatureInputPolicy? ReadFeatureInputPolicy(JsonElement feature, string featurePath, JsonFieldReader reader)
    {
        if (reader.Optional(feature, "input_policy", featurePath, JsonValueKind.Object) is not { } element)
        {
            return null;
        }

        var path = JsonFieldReader.Child(featurePath, "input_policy");
        CheckPolicyFields(element, path, registryWide: false, reader);
        return new FeatureInputPolicy(
            ReadAction(element, "non_finite", path, reader),
            ReadAction(element, "out_of_type", path, reader),
            ReadAction(element, "no_kind", path, reader));
    }

    /// <summary>A misspelt policy field would silently leave the default in force: every field must be known.</summary>
    private static void CheckPolicyFields(JsonElement element, string path, bool registryWide, JsonFieldReader reader)
    {
        foreach (var property in element.EnumerateObject())
        {
            switch (property.Name)
            {
                case "non_finite" or "out_of_type" or "no_kind":
                case "unknown_feature" when registryWide:
                    break;
                case "unknown_feature":
                    reader.Add(JsonFieldReader.Child(path, property.Name), "unknown_feature applies to the whole registry ($.input_policy), not to one feature");
                    break;
                default:
                    reader.Add(
                        JsonFieldReader.Child(path, property.Name),
                        $"unknown field (expected non_finite, out_of_type, no_kind{(registryWide ? " or unknown_feature" : "")})");
                    break;
            }
        }
    }

    private static ClientValueAction? ReadAction(JsonElement element, string name, string path, JsonFieldReader reader)
    {
        switch (reader.OptionalString(element, name, path))
        {
            case null:
                return null;
            case "reject":
                return ClientValueAction.Reject;
            case "default":
                return ClientValueAction.Default;
            case var text:
                reader.Add(JsonFieldReader.Child(path, name), $"unknown action '{text}' (expected reject or default)");
                return null;
        }
    }

    // min/max (inclusive) or cardinality (0 to cardinality - 1): the ids an int64_list feature holds.
    private static FeatureIdRange? ReadIdRange(JsonElement element, string path, FeatureType? type, JsonFieldReader reader)
    {
        var hasMin = JsonFieldReader.Has(element, "min");
        var hasMax = JsonFieldReader.Has(element, "max");
        var hasCardinality = JsonFieldReader.Has(element, "cardinality");
        if (!hasMin && !hasMax && !hasCardinality)
        {
            return null;
        }

        if (type is not null and not FeatureType.Int64List)
        {
            reader.Add(path, "min, max and cardinality only apply to int64_list features (their id range)");
            return null;
        }

        var min = reader.OptionalInteger(element, "min", path, long.MinValue, long.MaxValue);
        var max = reader.OptionalInteger(element, "max", path, long.MinValue, long.MaxValue);
        var cardinality = reader.OptionalInteger(element, "cardinality", path, 1, long.MaxValue);
        if (hasCardinality)
        {
            if (hasMin || hasMax)
            {
                reader.Add(path, "give either cardinality or min and max, not both");
                return null;
            }

            return cardinality is { } count ? new FeatureIdRange(0, count - 1) : null;
        }

        if (hasMin != hasMax)
        {
            reader.Add(JsonFieldReader.Child(path, hasMin ? "max" : "min"), "missing required field (an id range gives both min and max)");
            return null;
        }

        if (min > max)
        {
            reader.Add(path, $"id range min {min} is greater than max {max}");
            return null;
        }

        return min is { } low && max is { } high ? new FeatureIdRange(low, high) : null;
    }

    private static FeatureTransform? ReadTransform(JsonElement element, string path, FeatureType? type, JsonFieldReader reader)
    {
        if (!reader.ExpectKind(element, path, JsonValueKind.Object))
        {
            return null;
        }

        var before = reader.Problems.Count;
        var kindText = reader.RequiredString(element, "kind", path);
        TransformKind? kind = kindText switch
        {
            null => null,
            "default_fill" => TransformKind.DefaultFill,
            "clip" => TransformKind.Clip,
            "log1p" => TransformKind.Log1p,
            "bucketize" => TransformKind.Bucketize,
            "hash_to_id" => TransformKind.HashToId,
            _ => null,
        };
        if (kindText is not null && kind is null)
        {
            reader.Add(JsonFieldReader.Child(path, "kind"), $"unknown transform '{kindText}' (expected default_fill, clip, log1p, bucketize or hash_to_id)");
        }

        var fill = reader.OptionalNumber(element, "fill", path);
        var min = reader.OptionalNumber(element, "min", path);
        var max = reader.OptionalNumber(element, "max", path);
        var buckets = reader.OptionalInteger(element, "buckets", path, 1, long.MaxValue);
        List<double>? boundaries = null;
        if (reader.Optional(element, "boundaries", path, JsonValueKind.Array) is { } array)
        {
            boundaries = [];
            var index = 0;
            foreach (var item in array.EnumerateArray())
            {
                if (reader.Number(item, JsonFieldReader.Index(JsonFieldReader.Child(path, "boundaries"), index)) is { } boundary)
                {
                    if (boundaries.Count > 0 && boundary <= boundaries[^1])
                    {
                        reader.Add(JsonFieldReader.Index(JsonFieldReader.Child(path, "boundaries"), index), "boundaries must be strictly ascending");
                    }

                    boundaries.Add(boundary);
                }

                index++;
            }
        }

        switch (kind)
        {
            case TransformKind.DefaultFill when fill is null && !JsonFieldReader.Has(element, "fill"):
                reader.Add(JsonFieldReader.Child(path, "fill"), "missing required field (default_fill needs a fill value)");
                break;
            case TransformKind.Clip when min is null && max is null && !JsonFieldReader.Has(element, "min") && !JsonFieldReader.Has(element, "max"):
                reader.Add(path, "clip needs min, max or both");
                break;
            case TransformKind.Clip when min > max:
                reader.Add(path, $"clip min {min} is greater than max {max}");
                break;
            case TransformKind.Bucketize when boundaries is null or { Count: 0 } && !JsonFieldReader.Has(element, "boundaries"):
                reader.Add(JsonFieldReader.Child(path, "boundaries"), "missing required field (bucketize needs ascending boundaries)");
                break;
            case TransformKind.Bucketize when type is not null and not FeatureType.Int64:
                reader.Add(path, $"bucketize yields an int64 bucket index: the feature's type must be int64, not {typeText(type.Value)}");
                break;
            case TransformKind.HashToId when buckets is null && !JsonFieldReader.Has(element, "buckets"):
                reader.Add(JsonFieldReader.Child(path, "buckets"), "missing required field (hash_to_id needs a bucket count)");
                break;
            case TransformKind.HashToId when type is not null and not (FeatureType.Int64 or FeatureType.Int64List):
                reader.Add(path, $"hash_to_id yields int64 ids: the feature's type must be int64 or int64_list, not {typeText(type.Value)}");
                break;
            case TransformKind.Log1p when type is not null and not (FeatureType.Float or FeatureType.FloatVector):
                reader.Add(path, $"log1p yields floats: the feature's type must be float or float_vector, not {typeText(type.Value)}");
                break;
            case TransformKind.Clip when type is not null and not (FeatureType.Float or FeatureType.FloatVector or FeatureType.Int64):
                reader.Add(path, $"clip applies to numeric features, not {typeText(type.Value)}");
                break;
        }

        return reader.Problems.Count != before || kind is null
            ? null
            : new FeatureTransform(kind.Value, fill, min, max, boundaries, buckets);

        static string typeText(FeatureType t) => TypeName(t);
    }
}
