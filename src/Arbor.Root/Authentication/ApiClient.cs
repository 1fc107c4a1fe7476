using System.Collections;
using Microsoft.AspNetCore.Http;

namespace Arbor.Root.Authentication;

/// <summary>
/// Who a public API call comes from: the name of the API key it carried, or
/// <see cref="Anonymous"/> when the public API requires none. One instance per configured key,
/// made when the keys are loaded: a request carries it as an <see cref="HttpContext"/> feature and
/// as its log scope (<c>Client</c>) without allocating.
/// </summary>
public sealed class ApiClient : IReadOnlyList<KeyValuePair<string, object?>>
{
    /// <summary>The client of every call while the public API requires no key.</summary>
    public const string AnonymousName = "anonymous";

    public const int MaxNameLength = 64;

    /// <summary>The log scope property that names the client.</summary>
    public const string ScopeProperty = "Client";

    private readonly KeyValuePair<string, object?> _scope;

    public ApiClient(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        _scope = new(ScopeProperty, name);
    }

    public static ApiClient Anonymous { get; } = new(AnonymousName);

    /// <summary>The key's configured name (bounded by the config: what metrics label requests with).</summary>
    public string Name { get; }

    public int Count => 1;

    public KeyValuePair<string, object?> this[int index] => index == 0 ? _scope : throw new ArgumentOutOfRangeException(nameof(index));

    /// <summary>The client of a call (set by <see cref="PublicApiAuthentication"/>), or <see cref="Anonymous"/>.</summary>
    public static ApiClient Of(HttpContext? context) => context?.Features.Get<ApiClient>() ?? Anonymous;

    /// <summary>
    /// A key name: 1 to <see cref="MaxNameLength"/> ASCII letters, digits, '.', '_' or '-', and not
    /// <see cref="AnonymousName"/> (names are metric labels and log fields).
    /// </summary>
    public static bool IsValidName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength || name == AnonymousName)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        yield return _scope;
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>How the simple console format shows the scope.</summary>
    public override string ToString() => $"{ScopeProperty}:{Name}";
}
