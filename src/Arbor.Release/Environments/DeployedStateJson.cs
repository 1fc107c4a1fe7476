using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Arbor.Release.Publishing;

namespace Arbor.Release.Environments;

/// <summary>Reads and writes <c>state.json</c> (<c>arbor.release_state/v1</c>).</summary>
public static class DeployedStateJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        IndentSize = 2,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static byte[] ToUtf8Bytes(DeployedState state)
    {
        var node = JsonSerializer.SerializeToNode(state, Options)!.AsObject();
        var ordered = new JsonObject { ["schema"] = DeployedState.SchemaV1 };
        foreach (var (name, value) in node.ToList())
        {
            node.Remove(name);
            ordered[name] = value;
        }

        var bytes = JsonSerializer.SerializeToUtf8Bytes(ordered, Options);
        return [.. bytes, (byte)'\n'];
    }

    /// <summary>Reads a state file; null when there is none.</summary>
    /// <exception cref="InvalidDataException">The file is not a valid state file.</exception>
    public static DeployedState? Read(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            var bytes = File.ReadAllBytes(path);
            var node = JsonNode.Parse(bytes)?.AsObject() ?? throw new InvalidDataException("empty document");
            if ((string?)node["schema"] != DeployedState.SchemaV1)
            {
                throw new InvalidDataException($"schema is not {DeployedState.SchemaV1}");
            }

            return node.Deserialize<DeployedState>(Options) ?? throw new InvalidDataException("empty document");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"state file {path} is not valid: {ex.Message}", ex);
        }
        catch (InvalidDataException ex) when (!ex.Message.StartsWith("state file", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"state file {path} is not valid: {ex.Message}", ex);
        }
    }

    public static void Write(string path, DeployedState state) => AtomicPublisher.WriteFile(path, ToUtf8Bytes(state));
}
