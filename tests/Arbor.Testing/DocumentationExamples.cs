namespace Arbor.Testing;

/// <summary>
/// Reads the code examples of the documentation, so that tests run exactly what the docs show. An
/// example is the fenced block that follows a marker line <c>&lt;!-- arbor:example NAME --&gt;</c>.
/// </summary>
public static class DocumentationExamples
{
    /// <summary>The body of the example <paramref name="name"/> in <c>docs/</c><paramref name="document"/>.</summary>
    public static string Read(string document, string name)
    {
        var path = RepositoryPaths.Combine("docs", document);
        var lines = File.ReadAllLines(path);
        var marker = $"<!-- arbor:example {name} -->";
        var at = Array.FindIndex(lines, line => line.Trim() == marker);
        if (at < 0)
        {
            throw new InvalidOperationException($"{path} has no example marked '{marker}'.");
        }

        var open = at + 1;
        if (open >= lines.Length || !lines[open].StartsWith("```", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"The example '{name}' in {path} does not start with a fence right after its marker.");
        }

        var close = Array.FindIndex(lines, open + 1, line => line.StartsWith("```", StringComparison.Ordinal));
        if (close < 0)
        {
            throw new InvalidOperationException($"The example '{name}' in {path} has no closing fence.");
        }

        return string.Join('\n', lines[(open + 1)..close]) + "\n";
    }
}
