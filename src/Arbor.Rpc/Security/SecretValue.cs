using System.Text.Json.Serialization;

namespace Arbor.Rpc.Security;

/// <summary>
/// A secret in a config file (a connection string, a token): written inline, or named by the
/// environment variable or the file (a mounted Kubernetes Secret) that holds it. Never printed:
/// <see cref="ToString"/> and every serialisation show where it comes from, not what it is.
/// </summary>
[JsonConverter(typeof(SecretValueJsonConverter))]
public sealed class SecretValue
{
    /// <summary>What an inline secret is shown as.</summary>
    public const string Redacted = "(redacted)";

    private readonly string? _inline;

    private SecretValue(string? inline, string? environmentVariable, string? file)
    {
        _inline = inline;
        EnvironmentVariable = environmentVariable;
        File = file;
    }

    /// <summary>The environment variable that holds the secret, if it comes from one.</summary>
    public string? EnvironmentVariable { get; }

    /// <summary>The file that holds the secret (relative to the config file), if it comes from one.</summary>
    public string? File { get; }

    /// <summary>True when the secret is written in the config file itself.</summary>
    public bool IsInline => _inline is not null;

    public static SecretValue Inline(string value) => new(value ?? throw new ArgumentNullException(nameof(value)), null, null);

    public static SecretValue FromEnvironment(string variable) =>
        new(null, string.IsNullOrEmpty(variable) ? throw new ArgumentException("An environment variable name is required.", nameof(variable)) : variable, null);

    public static SecretValue FromFile(string path) =>
        new(null, null, string.IsNullOrEmpty(path) ? throw new ArgumentException("A file path is required.", nameof(path)) : path);

    /// <summary>
    /// The secret itself: the inline value, the variable's value, or the file's content without its
    /// trailing line break (Kubernetes Secrets and <c>echo</c> both leave one). Throws
    /// <see cref="SecretUnavailableException"/> naming the variable or file, never the value.
    /// </summary>
    /// <param name="baseDirectory">What a relative <see cref="File"/> is relative to.</param>
    public string Resolve(string baseDirectory)
    {
        if (_inline is not null)
        {
            return _inline;
        }

        if (EnvironmentVariable is { } variable)
        {
            var value = Environment.GetEnvironmentVariable(variable);
            return string.IsNullOrEmpty(value)
                ? throw new SecretUnavailableException($"the environment variable {variable} is not set")
                : value;
        }

        var path = Path.GetFullPath(File!, baseDirectory);
        string content;
        try
        {
            content = System.IO.File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SecretUnavailableException($"the secret file {File} cannot be read ({e.GetType().Name})", e);
        }

        content = content.TrimEnd('\r', '\n');
        return content.Length == 0 ? throw new SecretUnavailableException($"the secret file {File} is empty") : content;
    }

    /// <summary>Where the secret comes from, never the secret.</summary>
    public override string ToString() =>
        EnvironmentVariable is { } variable ? $"env:{variable}" : File is { } file ? $"file:{file}" : Redacted;
}
