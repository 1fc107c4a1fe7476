using System.Text.Json;
using System.Text.Json.Serialization;

namespace Arbor.Cli.Bench;

/// <summary>Reads and writes <see cref="BenchReport"/> as snake_case JSON.</summary>
public static class BenchReportJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string Serialize(BenchReport report) => JsonSerializer.Serialize(report, Options);

    public static BenchReport Deserialize(string json) =>
        JsonSerializer.Deserialize<BenchReport>(json, Options) ?? throw new JsonException("empty bench report");

    public static void Write(BenchReport report, string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, Serialize(report) + "\n");
    }
}
