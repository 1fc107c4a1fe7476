using System.Text.Json;

namespace Arbor.Release.Verification;

/// <summary>
/// Field access on admin JSON that tolerates the naming style (<c>content_hash</c>,
/// <c>contentHash</c>, <c>ContentHash</c> all match): the admin endpoints are a contract between
/// processes that may run different builds.
/// </summary>
internal static class JsonFields
{
    public static bool TryGet(JsonElement element, string name, out JsonElement value)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            var wanted = Normalize(name);
            foreach (var property in element.EnumerateObject())
            {
                if (Normalize(property.Name) == wanted)
                {
                    value = property.Value;
                    return true;
                }
            }
        }

        value = default;
        return false;
    }

    public static string? String(JsonElement element, string name) =>
        TryGet(element, name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static bool Bool(JsonElement element, string name) =>
        TryGet(element, name, out var value) && value.ValueKind == JsonValueKind.True;

    public static IEnumerable<JsonElement> Array(JsonElement element, string name) =>
        TryGet(element, name, out var value) && value.ValueKind == JsonValueKind.Array ? value.EnumerateArray() : [];

    /// <summary>A number at the top level or one object deep (e.g. <c>{"counters": {"requests": 3}}</c>).</summary>
    public static double? Number(JsonElement element, string name)
    {
        if (TryGet(element, name, out var value) && value.ValueKind == JsonValueKind.Number)
        {
            return value.GetDouble();
        }

        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                if (property.Value.ValueKind == JsonValueKind.Object && TryGet(property.Value, name, out var nested) && nested.ValueKind == JsonValueKind.Number)
                {
                    return nested.GetDouble();
                }
            }
        }

        return null;
    }

    private static string Normalize(string name) => name.Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal).ToLowerInvariant();
}
