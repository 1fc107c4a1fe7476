using System.Globalization;
using System.Text.Json;
using System.Text.Unicode;

namespace Arbor.Signatures.Validation;

/// <summary>
/// Reads fields of a <see cref="JsonDocument"/> while collecting every problem with its JSON path,
/// so a validator reports all problems of a document in one pass instead of throwing at the first.
/// </summary>
internal sealed class JsonFieldReader
{
    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 32,
        AllowDuplicateProperties = false,
    };

    private readonly List<ArtefactProblem> _problems = [];

    public IReadOnlyList<ArtefactProblem> Problems => _problems;

    public bool HasProblems => _problems.Count > 0;

    /// <summary>Parses UTF-8 JSON; a syntax error becomes one problem at <c>$</c> naming line and position.</summary>
    public static JsonDocument? TryParse(ReadOnlyMemory<byte> utf8Json, out ArtefactProblem? problem)
    {
        problem = null;
        if (utf8Json.IsEmpty)
        {
            problem = new ArtefactProblem("$", "the document is empty");
            return null;
        }

        // The reader checks UTF-8 lazily (property names only when read), so check it all up front.
        if (!Utf8.IsValid(utf8Json.Span))
        {
            problem = new ArtefactProblem("$", "not valid UTF-8 JSON: the document holds an invalid UTF-8 byte sequence");
            return null;
        }

        try
        {
            return JsonDocument.Parse(utf8Json, DocumentOptions);
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } line
                ? string.Create(CultureInfo.InvariantCulture, $" (line {line + 1}, byte {ex.BytePositionInLine + 1})")
                : "";
            problem = new ArtefactProblem("$", $"not valid JSON{where}: {FirstSentence(ex.Message)}");
            return null;
        }
        catch (ArgumentException ex)
        {
            // Invalid UTF-8 surfaces as an ArgumentException from the reader.
            problem = new ArtefactProblem("$", $"not valid UTF-8 JSON: {FirstSentence(ex.Message)}");
            return null;
        }
    }

    public void Add(string path, string message) => _problems.Add(new ArtefactProblem(path, message));

    public static string Child(string path, string name)
    {
        var plain = name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_');
        foreach (var c in name)
        {
            plain &= char.IsAsciiLetterOrDigit(c) || c == '_';
        }

        return plain ? $"{path}.{name}" : $"{path}['{name.Replace("'", "\\'", StringComparison.Ordinal)}']";
    }

    public static string Index(string path, int index) =>
        string.Create(CultureInfo.InvariantCulture, $"{path}[{index}]");

    public bool ExpectKind(JsonElement element, string path, JsonValueKind kind)
    {
        if (element.ValueKind == kind)
        {
            return true;
        }

        Add(path, $"expected {Describe(kind)}, got {Describe(element.ValueKind)}");
        return false;
    }

    /// <summary>A required member of the given kind, or null (with a problem) when missing or mistyped.</summary>
    public JsonElement? Required(JsonElement obj, string name, string path, JsonValueKind kind)
    {
        var childPath = Child(path, name);
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            Add(childPath, "missing required field");
            return null;
        }

        return ExpectKind(value, childPath, kind) ? value : null;
    }

    /// <summary>An optional member (absent or null both mean absent), or null when absent or mistyped.</summary>
    public JsonElement? Optional(JsonElement obj, string name, string path, JsonValueKind kind)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return ExpectKind(value, Child(path, name), kind) ? value : null;
    }

    public static bool Has(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null;

    public string? RequiredString(JsonElement obj, string name, string path)
    {
        var value = Required(obj, name, path, JsonValueKind.String)?.GetString();
        if (value is { Length: 0 })
        {
            Add(Child(path, name), "must not be empty");
            return null;
        }

        return value;
    }

    public string? OptionalString(JsonElement obj, string name, string path) =>
        Optional(obj, name, path, JsonValueKind.String)?.GetString();

    public long? Integer(JsonElement value, string path, long min, long max)
    {
        if (!ExpectKind(value, path, JsonValueKind.Number))
        {
            return null;
        }

        if (!value.TryGetInt64(out var number))
        {
            Add(path, $"expected an integer, got {value.GetRawText()}");
            return null;
        }

        if (number < min || number > max)
        {
            Add(path, string.Create(CultureInfo.InvariantCulture, $"{number} is out of range [{min}, {max}]"));
            return null;
        }

        return number;
    }

    public long? OptionalInteger(JsonElement obj, string name, string path, long min, long max) =>
        Optional(obj, name, path, JsonValueKind.Number) is { } value ? Integer(value, Child(path, name), min, max) : null;

    public double? Number(JsonElement value, string path)
    {
        if (!ExpectKind(value, path, JsonValueKind.Number))
        {
            return null;
        }

        if (!value.TryGetDouble(out var number) || !double.IsFinite(number))
        {
            Add(path, $"expected a finite number, got {value.GetRawText()}");
            return null;
        }

        return number;
    }

    public double? OptionalNumber(JsonElement obj, string name, string path) =>
        Optional(obj, name, path, JsonValueKind.Number) is { } value ? Number(value, Child(path, name)) : null;

    /// <summary>A required array of non-empty strings; reports duplicates. Returns the valid strings.</summary>
    public List<string>? RequiredStringArray(JsonElement obj, string name, string path, string itemNoun, bool allowEmpty)
    {
        var arrayPath = Child(path, name);
        if (Required(obj, name, path, JsonValueKind.Array) is not { } array)
        {
            return null;
        }

        var items = new List<string>(array.GetArrayLength());
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var index = 0;
        foreach (var item in array.EnumerateArray())
        {
            var itemPath = Index(arrayPath, index);
            if (ExpectKind(item, itemPath, JsonValueKind.String))
            {
                var text = item.GetString()!;
                if (text.Length == 0)
                {
                    Add(itemPath, $"{itemNoun} must not be empty");
                }
                else if (seen.TryGetValue(text, out var first))
                {
                    Add(itemPath, string.Create(CultureInfo.InvariantCulture, $"{itemNoun} '{text}' is listed twice (first at index {first})"));
                }
                else
                {
                    seen.Add(text, index);
                    items.Add(text);
                }
            }

            index++;
        }

        if (index == 0 && !allowEmpty)
        {
            Add(arrayPath, $"must list at least one {itemNoun}");
        }

        return items;
    }

    public static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? message.TrimEnd('.') : message[..end];
    }
}
