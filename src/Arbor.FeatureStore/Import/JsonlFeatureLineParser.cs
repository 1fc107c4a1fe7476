using System.Globalization;
using System.Text.Json;
using Arbor.Features.Values;
using Arbor.FeatureStore.Sources;
using Arbor.Signatures.Registry;

namespace Arbor.FeatureStore.Import;

/// <summary>
/// Parses one line of the JSONL import format:
/// <c>{"entity":"user","id":"u17","features":{"user_age_days":812.0,"user_interest_ids":[3,77]}}</c>.
/// With a schema (the registry), each value must be a registered feature of that entity and is typed
/// by it (the raw type); bytes are base64 strings. Without a
/// registry, types are inferred: a number with a fraction or exponent is a float, other numbers
/// int64; an array of such integers (or an empty array) an int64 list, other number arrays float
/// vectors; strings are strings. <c>null</c> deletes the feature.
/// </summary>
internal sealed class JsonlFeatureLineParser(IFeatureSchema? schema)
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 8 };

    /// <summary>Parses a line; throws <see cref="FormatException"/> with the problem (no line number).</summary>
    public EntityFeatures Parse(string line)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line, Options);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"not valid JSON ({ex.Message})", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("expected an object {\"entity\":..., \"id\":..., \"features\":{...}}");
            }

            var entityText = RequiredString(root, "entity");
            if (!EntityKindNames.TryParse(entityText, out var kind))
            {
                throw new FormatException($"unknown entity '{entityText}' (expected user or candidate)");
            }

            var id = RequiredString(root, "id");
            if (id.Length == 0)
            {
                throw new FormatException("\"id\" must not be empty");
            }

            if (!root.TryGetProperty("features", out var features) || features.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("missing \"features\" object");
            }

            foreach (var property in root.EnumerateObject())
            {
                if (property.Name is not ("entity" or "id" or "features"))
                {
                    throw new FormatException($"unexpected field \"{property.Name}\"");
                }
            }

            var values = new List<KeyValuePair<string, TypedValue>>();
            foreach (var feature in features.EnumerateObject())
            {
                values.Add(new(feature.Name, ParseValue(kind, feature.Name, feature.Value)));
            }

            return new EntityFeatures(kind, id, values);
        }
    }

    private static string RequiredString(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new FormatException($"missing string \"{name}\"");

    private static TypedValue ParseNumber(JsonElement value, FeatureType kind, string feature) => kind switch
    {
        FeatureType.Float => TypedValue.FromFloat(ToFloat(value, feature)),
        FeatureType.Int64 => value.TryGetInt64(out var l)
            ? TypedValue.FromInt64(l)
            : throw new FormatException($"feature '{feature}': {value.GetRawText()} is not an int64"),
        _ => throw new FormatException($"feature '{feature}' is a {kind}, not a number"),
    };

    private static float ToFloat(JsonElement value, string feature)
    {
        var d = value.GetDouble();
        var f = (float)d;
        return float.IsFinite(f)
            ? f
            : throw new FormatException($"feature '{feature}': {value.GetRawText()} is out of float range");
    }

    private static bool LooksIntegral(JsonElement number)
    {
        var raw = number.GetRawText();
        return raw.IndexOfAny(['.', 'e', 'E']) < 0 && number.TryGetInt64(out _);
    }

    private TypedValue ParseValue(EntityKind entity, string feature, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return TypedValue.None;
        }

        FeatureType? registered = null;
        if (schema is not null)
        {
            if (!schema.TryGetFeature(feature, out var owner, out var rawKind))
            {
                throw new FormatException($"feature '{feature}' is not in the registry");
            }

            if (owner != (entity == EntityKind.User ? FeatureEntity.User : FeatureEntity.Candidate))
            {
                throw new FormatException($"feature '{feature}' belongs to the {owner.ToString().ToLowerInvariant()}, not the {entity.ToName()}");
            }

            registered = rawKind;
        }

        var kind = registered ?? InferKind(feature, value);
        var parsed = value.ValueKind switch
        {
            JsonValueKind.Number => ParseNumber(value, kind, feature),
            JsonValueKind.String => kind switch
            {
                FeatureType.String => TypedValue.FromString(value.GetString()!),
                FeatureType.Bytes => value.TryGetBytesFromBase64(out var bytes)
                    ? TypedValue.FromBytes(bytes)
                    : throw new FormatException($"feature '{feature}' is bytes: expected a base64 string"),
                _ => throw new FormatException($"feature '{feature}' is a {kind}, not a string"),
            },
            JsonValueKind.Array => ParseArray(value, kind, feature),
            _ => throw new FormatException($"feature '{feature}': unsupported JSON value {value.ValueKind}"),
        };

        return schema is null ? parsed : schema.Validate(feature, parsed);
    }

    private static TypedValue ParseArray(JsonElement array, FeatureType kind, string feature)
    {
        var length = array.GetArrayLength();
        var index = 0;
        switch (kind)
        {
            case FeatureType.FloatVector:
                var floats = new float[length];
                foreach (var item in array.EnumerateArray())
                {
                    floats[index++] = item.ValueKind == JsonValueKind.Number
                        ? ToFloat(item, feature)
                        : throw new FormatException($"feature '{feature}': element {index} is not a number");
                }

                return TypedValue.FromFloatVector(floats);
            case FeatureType.Int64List:
                var longs = new long[length];
                foreach (var item in array.EnumerateArray())
                {
                    longs[index++] = item.ValueKind == JsonValueKind.Number && item.TryGetInt64(out var l)
                        ? l
                        : throw new FormatException($"feature '{feature}': element {index} ({item.GetRawText()}) is not an int64");
                }

                return TypedValue.FromInt64List(longs);
            default:
                throw new FormatException($"feature '{feature}' is a {kind}, not an array");
        }
    }

    private static FeatureType InferKind(string feature, JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => LooksIntegral(value) ? FeatureType.Int64 : FeatureType.Float,
        JsonValueKind.String => FeatureType.String,
        JsonValueKind.Array => value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Number && LooksIntegral(e))
            ? FeatureType.Int64List
            : FeatureType.FloatVector,
        _ => throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"feature '{feature}': unsupported JSON value {value.ValueKind}")),
    };
}
