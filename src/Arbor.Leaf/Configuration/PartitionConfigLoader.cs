using System.Net;
using System.Text.Json;
using Arbor.Leaf.Inference;
using Arbor.Leaf.Models;
using Arbor.Leaf.Native;
using Arbor.Rpc.Security;
using Arbor.Rpc.Tls;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Arbor.Leaf.Configuration;

/// <summary>Reads and validates a partition configuration file (<c>.json</c>, or <c>.yaml</c>/<c>.yml</c>).</summary>
public static class PartitionConfigLoader
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>Loads a file; a relative repository path is resolved against the file's folder.</summary>
    /// <exception cref="PartitionConfigException">The file is unreadable or invalid (every problem listed).</exception>
    public static PartitionConfig Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PartitionConfigException($"{path}: cannot read the partition config: {e.Message}", e);
        }

        var extension = Path.GetExtension(path).ToLowerInvariant();
        var isYaml = extension is ".yaml" or ".yml";
        return Parse(text, isYaml, Path.GetDirectoryName(Path.GetFullPath(path))!, path);
    }

    /// <summary>Parses configuration text (JSON or YAML).</summary>
    public static PartitionConfig Parse(string text, bool yaml, string baseDirectory, string subject = "partition config")
    {
        PartitionConfigDocument? document;
        try
        {
            document = yaml ? ParseYaml(text) : JsonSerializer.Deserialize<PartitionConfigDocument>(text, JsonOptions);
        }
        catch (Exception e) when (e is JsonException or YamlException)
        {
            throw new PartitionConfigException($"{subject}: {e.Message}", e);
        }

        return Validate(document ?? new PartitionConfigDocument(), baseDirectory, subject);
    }

    private static PartitionConfigDocument? ParseYaml(string text) =>
        new DeserializerBuilder()
            .WithNamingConvention(UnderscoredNamingConvention.Instance)
            .Build()
            .Deserialize<PartitionConfigDocument?>(text);

    private static PartitionConfig Validate(PartitionConfigDocument d, string baseDirectory, string subject)
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(d.Partition))
        {
            problems.Add("partition: required (the partition's name)");
        }

        if (string.IsNullOrWhiteSpace(d.Repository))
        {
            problems.Add("repository: required (the model repository folder)");
        }

        var device = d.Device ?? "cpu";
        if (device != "cpu" && device != "cuda" && !(device.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(device.AsSpan(5), out _)))
        {
            problems.Add($"device: '{device}' is not cpu, cuda or cuda:N");
        }

        if (d.Concurrency is < 1)
        {
            problems.Add($"concurrency: {d.Concurrency} must be at least 1");
        }

        if (d.MaxQueued is < 0)
        {
            problems.Add($"max_queued: {d.MaxQueued} must not be negative");
        }

        if (d.PollIntervalSeconds is <= 0 or double.NaN)
        {
            problems.Add($"poll_interval_seconds: {d.PollIntervalSeconds} must be positive");
        }

        var batching = ReadBatching(d.Batching, "batching", BatchingOptions.Disabled, problems);
        var threads = new TorchThreading(d.Threads?.IntraOp ?? 1, d.Threads?.Interop ?? 1, d.Threads?.GraphOptimize ?? true);
        if (threads.IntraOpThreads < 1 || threads.InteropThreads < 1)
        {
            problems.Add("threads: intra_op and interop must be at least 1");
        }

        var server = new LeafServerOptions(
            d.Server?.Address ?? "127.0.0.1",
            d.Server?.GrpcPort ?? 7100,
            d.Server?.HttpPort ?? 7101,
            d.Server?.MaxMessageBytes ?? 16 * 1024 * 1024,
            d.Server?.MaxRowsPerCall ?? LeafServerOptions.DefaultMaxRowsPerCall,
            d.Server?.MaxStreamsPerConnection ?? LeafServerOptions.DefaultMaxStreamsPerConnection);
        var tls = d.Server?.Tls;
        if (tls is not null)
        {
            if (string.IsNullOrWhiteSpace(tls.Certificate) || string.IsNullOrWhiteSpace(tls.Key) || string.IsNullOrWhiteSpace(tls.ClientCa))
            {
                problems.Add("server.tls: certificate, key and client_ca are all required (mutual TLS: the CA bundle of the roots it accepts)");
            }
            else
            {
                server = server with { Tls = new TlsFiles(tls.Certificate, SecretValue.FromFile(tls.Key), tls.ClientCa, baseDirectory) };
            }

            if (tls.ReloadIntervalSeconds is { } reload)
            {
                if (reload is <= 0 or double.NaN)
                {
                    problems.Add($"server.tls.reload_interval_seconds: {reload} must be positive");
                }
                else
                {
                    server = server with { TlsReloadInterval = TimeSpan.FromSeconds(reload) };
                }
            }
        }

        if (!IPAddress.TryParse(server.Address, out _))
        {
            problems.Add($"server.address: '{server.Address}' is not an IP address");
        }

        if (server.GrpcPort is < 0 or > 65535 || server.HttpPort is < -1 or > 65535)
        {
            problems.Add("server: grpc_port must be 0-65535 and http_port -1-65535");
        }

        if (server.MaxRowsPerCall is < 1 or > Conversion.FeatureConverter.MaxRowCount)
        {
            problems.Add($"server.max_rows_per_call: must be 1 to {Conversion.FeatureConverter.MaxRowCount}");
        }

        if (server.MaxMessageBytes < 1024)
        {
            problems.Add("server.max_message_bytes: must be at least 1024");
        }

        if (server.MaxStreamsPerConnection < 1)
        {
            problems.Add($"server.max_streams_per_connection: {server.MaxStreamsPerConnection} must be at least 1");
        }

        var telemetry = new Arbor.Telemetry.TelemetryConfig { OtlpEndpoint = d.Telemetry?.OtlpEndpoint, OtlpProtocol = d.Telemetry?.OtlpProtocol, LogFormat = d.Telemetry?.LogFormat };
        telemetry.Validate("telemetry", problems);

        var models = new List<ModelConfig>();
        if (d.Models is null || d.Models.Count == 0)
        {
            problems.Add("models: list at least one model");
        }
        else
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < d.Models.Count; i++)
            {
                if (ReadModel(d.Models[i], $"models[{i}]", batching, problems) is { } model)
                {
                    if (!names.Add(model.Name))
                    {
                        problems.Add($"models[{i}].name: '{model.Name}' is listed twice");
                    }

                    models.Add(model);
                }
            }
        }

        if (problems.Count > 0)
        {
            throw new PartitionConfigException($"{subject} is invalid:\n  " + string.Join("\n  ", problems));
        }

        return new PartitionConfig
        {
            Partition = d.Partition!,
            Repository = Path.GetFullPath(d.Repository!, baseDirectory),
            Models = models,
            Device = device,
            Concurrency = d.Concurrency ?? Environment.ProcessorCount,
            MaxQueued = d.MaxQueued ?? PartitionConfig.DefaultQueuedPerSlot * (d.Concurrency ?? Environment.ProcessorCount),
            Batching = batching,
            PollInterval = TimeSpan.FromSeconds(d.PollIntervalSeconds ?? 5),
            Watch = d.Watch ?? true,
            Threads = threads,
            Server = server,
            Telemetry = telemetry,
        };
    }

    private static ModelConfig? ReadModel(PartitionConfigDocument.ModelDocument m, string path, BatchingOptions fallback, List<string> problems)
    {
        var before = problems.Count;
        if (string.IsNullOrWhiteSpace(m.Name) || m.Name.IndexOfAny(['/', '\\']) >= 0 || m.Name.StartsWith('.'))
        {
            problems.Add($"{path}.name: required, a folder name in the repository");
        }

        VersionPolicy? policy = null;
        if (m.Latest is not null && m.Versions is not null)
        {
            problems.Add($"{path}: give either latest or versions, not both");
        }
        else if (m.Versions is not null)
        {
            if (m.Versions.Count == 0 || m.Versions.Any(string.IsNullOrWhiteSpace))
            {
                problems.Add($"{path}.versions: list at least one non-empty version");
            }
            else
            {
                policy = VersionPolicy.Specific(m.Versions.ToArray());
            }
        }
        else if (m.Latest is < 1)
        {
            problems.Add($"{path}.latest: {m.Latest} must be at least 1");
        }
        else
        {
            policy = VersionPolicy.Latest(m.Latest ?? 1);
        }

        var batching = m.Batching is null ? null : ReadBatching(m.Batching, $"{path}.batching", fallback, problems);
        var role = ModelRole.Production;
        switch (m.Role)
        {
            case null or "production":
                break;
            case "experiment":
                role = ModelRole.Experiment;
                break;
            default:
                problems.Add($"{path}.role: '{m.Role}' is not production or experiment");
                break;
        }

        return problems.Count == before ? new ModelConfig(m.Name!, policy!, batching, role, m.Required ?? role == ModelRole.Production) : null;
    }

    private static BatchingOptions ReadBatching(PartitionConfigDocument.BatchingDocument? b, string path, BatchingOptions fallback, List<string> problems)
    {
        if (b is null)
        {
            return fallback;
        }

        if (b.MaxBatchRows is < 1)
        {
            problems.Add($"{path}.max_batch_rows: {b.MaxBatchRows} must be at least 1");
        }

        if (b.MaxDelayMs is < 0 or double.NaN)
        {
            problems.Add($"{path}.max_delay_ms: {b.MaxDelayMs} must not be negative");
        }

        return new BatchingOptions(
            b.Enabled ?? fallback.Enabled,
            b.MaxBatchRows ?? fallback.MaxBatchRows,
            b.MaxDelayMs is { } ms ? TimeSpan.FromMilliseconds(ms) : fallback.MaxDelay);
    }
}
