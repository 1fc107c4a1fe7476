namespace Arbor.Leaf.Configuration;

/// <summary>The partition configuration file as written (snake_case in JSON and YAML), before validation.</summary>
internal sealed class PartitionConfigDocument
{
    public string? Partition { get; set; }

    public string? Repository { get; set; }

    public string? Device { get; set; }

    public int? Concurrency { get; set; }

    public int? MaxQueued { get; set; }

    public double? PollIntervalSeconds { get; set; }

    public bool? Watch { get; set; }

    public ThreadsDocument? Threads { get; set; }

    public BatchingDocument? Batching { get; set; }

    public ServerDocument? Server { get; set; }

    public List<ModelDocument>? Models { get; set; }

    public TelemetryDocument? Telemetry { get; set; }

    internal sealed class TelemetryDocument
    {
        public string? OtlpEndpoint { get; set; }

        public string? OtlpProtocol { get; set; }

        public string? LogFormat { get; set; }
    }

    internal sealed class ModelDocument
    {
        public string? Name { get; set; }

        public int? Latest { get; set; }

        public List<string>? Versions { get; set; }

        public BatchingDocument? Batching { get; set; }

        public string? Role { get; set; }

        public bool? Required { get; set; }
    }

    internal sealed class BatchingDocument
    {
        public bool? Enabled { get; set; }

        public int? MaxBatchRows { get; set; }

        public double? MaxDelayMs { get; set; }
    }

    internal sealed class ThreadsDocument
    {
        public int? IntraOp { get; set; }

        public int? Interop { get; set; }

        public bool? GraphOptimize { get; set; }
    }

    internal sealed class ServerDocument
    {
        public string? Address { get; set; }

        public int? GrpcPort { get; set; }

        public int? HttpPort { get; set; }

        public int? MaxMessageBytes { get; set; }

        public int? MaxRowsPerCall { get; set; }

        public int? MaxStreamsPerConnection { get; set; }

        public TlsDocument? Tls { get; set; }
    }

    internal sealed class TlsDocument
    {
        public string? Certificate { get; set; }

        public string? Key { get; set; }

        public string? ClientCa { get; set; }

        public double? ReloadIntervalSeconds { get; set; }
    }
}
