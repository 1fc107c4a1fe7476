using System.Text.Json;
using System.Text.Json.Nodes;
using Arbor.Release.Environments;
using Arbor.Release.Publishing;

namespace Arbor.Release.Journal;

/// <summary>
/// The release journal: <c>releases/&lt;id&gt;.json</c> per release (plan, steps, history), and
/// <c>releases/&lt;id&gt;.backup/&lt;env&gt;/&lt;bundle&gt;.json</c>, the exact bytes of every bundle
/// file the release changes as they were before it (what a rollback writes back).
/// </summary>
public sealed class ReleaseStore(string directory)
{
    private static JsonSerializerOptions Options => ReleaseJson.Options;

    public string Directory { get; } = Path.GetFullPath(directory);

    public string RecordPath(string id) => Path.Combine(Directory, id + ".json");

    public string BackupPath(string id, string environment, string bundle) => Path.Combine(Directory, id + ".backup", environment, bundle + ".json");

    /// <summary>Saves a new release and backs up every bundle file its plan will change.</summary>
    public void Create(ReleaseRecord record, ReleaseEnvironments environments)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(environments);
        if (File.Exists(RecordPath(record.Id)))
        {
            throw new IOException($"release {record.Id} already exists in {Directory}");
        }

        foreach (var snapshot in record.Plan.Before)
        {
            var env = environments.Get(snapshot.Environment);
            foreach (var bundle in snapshot.Bundles.Keys)
            {
                if (env.ReadBundleBytes(bundle) is { } bytes)
                {
                    AtomicPublisher.WriteFile(BackupPath(record.Id, env.Name, bundle), bytes);
                }
            }
        }

        Save(record);
    }

    public void Save(ReleaseRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var node = JsonSerializer.SerializeToNode(record, Options)!.AsObject();
        var ordered = new JsonObject { ["schema"] = ReleaseRecord.SchemaV1, ["id"] = record.Id };
        foreach (var (name, value) in node.ToList())
        {
            node.Remove(name);
            ordered[name] = value;
        }

        AtomicPublisher.WriteFile(RecordPath(record.Id), [.. JsonSerializer.SerializeToUtf8Bytes(ordered, Options), (byte)'\n']);
    }

    /// <summary>Loads a release.</summary>
    /// <exception cref="InvalidDataException">Unknown id or unreadable record.</exception>
    public ReleaseRecord Load(string id)
    {
        var path = RecordPath(id);
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"no release {id} in {Directory}");
        }

        try
        {
            var node = JsonNode.Parse(File.ReadAllBytes(path))?.AsObject() ?? throw new InvalidDataException("empty document");
            if ((string?)node["schema"] != ReleaseRecord.SchemaV1)
            {
                throw new InvalidDataException($"schema is not {ReleaseRecord.SchemaV1}");
            }

            node.Remove("schema");
            node.Remove("id");
            return node.Deserialize<ReleaseRecord>(Options) ?? throw new InvalidDataException("empty document");
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or InvalidDataException or NotSupportedException)
        {
            throw new InvalidDataException($"release record {path} cannot be read: {ex.Message}", ex);
        }
    }

    /// <summary>The saved bundle bytes from before the release; null when the file did not exist then.</summary>
    public byte[]? ReadBackup(string id, string environment, string bundle)
    {
        var path = BackupPath(id, environment, bundle);
        return File.Exists(path) ? File.ReadAllBytes(path) : null;
    }

    /// <summary>Every release, oldest first.</summary>
    public IReadOnlyList<ReleaseRecord> List()
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            return [];
        }

        return [.. System.IO.Directory.EnumerateFiles(Directory, "*.json")
            .Select(Path.GetFileNameWithoutExtension)
            .Where(n => n is { Length: > 0 } && n[0] != '.')
            .Select(n => Load(n!))
            .OrderBy(r => r.Plan.CreatedAt)
            .ThenBy(r => r.Id, StringComparer.Ordinal)];
    }

    /// <summary>The release holding the environments, if any.</summary>
    public ReleaseRecord? FindOpen() => List().LastOrDefault(r => r.IsOpen);

    /// <summary>The newest release, whatever its status.</summary>
    public ReleaseRecord? Latest() => List().LastOrDefault();
}
