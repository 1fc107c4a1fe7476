using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Arbor.Leaf.Checking;

/// <summary>What <c>arbor model check</c> found in a repository, as plain text or JSON.</summary>
/// <param name="Repository">The repository checked.</param>
/// <param name="Registry">The feature registry file the signatures were checked against, or null when none was.</param>
/// <param name="Versions">Every version checked, in repository order.</param>
public sealed record ModelCheckReport(string Repository, string? Registry, IReadOnlyList<VersionCheckResult> Versions)
{
    // Messages quote names ('dense'): the report is read by people and tools, never embedded in HTML.
    private static readonly JsonWriterOptions Indented = new() { Indented = true, IndentSize = 2, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public int ProblemCount => Versions.Sum(v => v.Problems.Count);

    public bool Clean => ProblemCount == 0;

    /// <summary>One line per clean version, the problems of the others one per line below them, and a summary.</summary>
    public void WriteText(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        foreach (var version in Versions)
        {
            if (version.Clean)
            {
                output.WriteLine($"{version.Model}/{version.Version}: ok");
                continue;
            }

            output.WriteLine($"{version.Model}/{version.Version}: {Count(version.Problems.Count, "problem")}");
            foreach (var problem in version.Problems)
            {
                // A multi-line message (an invalid signature lists its problems) stays under its version.
                var message = problem.Message.ReplaceLineEndings(Environment.NewLine + "    ");
                output.WriteLine(problem.Subject.Length == 0 ? $"  {problem.KindName}: {message}" : $"  {problem.KindName}: {problem.Subject}: {message}");
            }
        }

        var failing = Versions.Count(v => !v.Clean);
        output.WriteLine(
            $"model check: {Count(Versions.Count, "version")}, {failing} with problems, {Count(ProblemCount, "problem")}" +
            (Registry is null ? " (no feature registry: registry checks skipped)" : $" (feature registry {Registry})"));
    }

    public string ToText()
    {
        using var writer = new StringWriter();
        WriteText(writer);
        return writer.ToString();
    }

    /// <summary><c>{"repository", "registry", "clean", "problems", "versions": [{"model", "version", "clean", "problems": [{"kind", "input", "feature", "message"}]}]}</c>.</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, Indented))
        {
            writer.WriteStartObject();
            writer.WriteString("repository", Repository);
            if (Registry is null)
            {
                writer.WriteNull("registry");
            }
            else
            {
                writer.WriteString("registry", Registry);
            }

            writer.WriteBoolean("clean", Clean);
            writer.WriteNumber("problems", ProblemCount);
            writer.WriteStartArray("versions");
            foreach (var version in Versions)
            {
                writer.WriteStartObject();
                writer.WriteString("model", version.Model);
                writer.WriteString("version", version.Version);
                writer.WriteBoolean("clean", version.Clean);
                writer.WriteStartArray("problems");
                foreach (var problem in version.Problems)
                {
                    writer.WriteStartObject();
                    writer.WriteString("kind", problem.KindName);
                    WriteOptional(writer, "input", problem.Input);
                    WriteOptional(writer, "feature", problem.Feature);
                    writer.WriteString("message", problem.Message);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    private static void WriteOptional(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }

    private static string Count(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";
}
