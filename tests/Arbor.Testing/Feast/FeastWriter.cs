namespace Arbor.Testing.Feast;

/// <summary>
/// feast_writer.py (Debian's python3-protobuf and python3-redis, message classes from proto/feast):
/// writes Feast-layout SQLite and Redis online stores from Arbor's JSONL feature data, and single
/// serialized keys, Redis keys and fields, and values.
/// </summary>
public static class FeastWriter
{
    public const string Project = "arbor_sample";
    public const string UserView = "user_stats";
    public const string CandidateView = "pin_stats";
    public const string UserJoinKey = "user_id";
    public const string CandidateJoinKey = "pin_id";

    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    private static string Script => Path.Combine(AppContext.BaseDirectory, "Feast", "feast_writer.py");

    /// <summary>Writes the sample repository's features.jsonl as a Feast SQLite online store, every row stamped <paramref name="eventTime"/>.</summary>
    public static Task WriteSampleAsync(string database, DateTimeOffset eventTime, CancellationToken cancellationToken) =>
        WriteAsync(SampleModelRepository.Combine("feature_registry.json"), SampleModelRepository.Combine("features.jsonl"), database, eventTime, cancellationToken);

    /// <summary>Writes the same data in Feast's Redis layout into database <paramref name="database"/> of the Redis server at <paramref name="endpoint"/> (host:port).</summary>
    public static Task WriteSampleRedisAsync(string endpoint, int database, DateTimeOffset eventTime, CancellationToken cancellationToken) =>
        WriteAsync(
            SampleModelRepository.Combine("feature_registry.json"),
            SampleModelRepository.Combine("features.jsonl"),
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"redis://{endpoint}/{database}"),
            eventTime,
            cancellationToken);

    /// <summary>Writes <paramref name="jsonl"/> into <paramref name="database"/>: a SQLite file, or <c>redis://host:port/db</c>.</summary>
    public static async Task WriteAsync(string registry, string jsonl, string database, DateTimeOffset eventTime, CancellationToken cancellationToken) =>
        await PythonInterop.RunAsync(
            [Script, "write", PythonInterop.MessagesDirectory, registry, jsonl, database, Project, eventTime.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
             UserView, UserJoinKey, "string", CandidateView, CandidateJoinKey, "string"],
            Limit,
            cancellationToken);

    /// <summary>The serialized entity key Python writes for one id.</summary>
    public static async Task<byte[]> KeyAsync(string joinKey, string keyType, string id, CancellationToken cancellationToken) =>
        Convert.FromHexString((await PythonInterop.RunAsync([Script, "key", PythonInterop.MessagesDirectory, joinKey, keyType, id], Limit, cancellationToken)).Trim());

    /// <summary>The Redis key Python writes an entity's hash under (serialized key, then the project).</summary>
    public static async Task<byte[]> RedisKeyAsync(string joinKey, string keyType, string id, string project, CancellationToken cancellationToken) =>
        Convert.FromHexString((await PythonInterop.RunAsync([Script, "redis-key", PythonInterop.MessagesDirectory, joinKey, keyType, id, project], Limit, cancellationToken)).Trim());

    /// <summary>The Redis hash field Python writes a feature of a view under.</summary>
    public static async Task<byte[]> RedisFieldAsync(string view, string feature, CancellationToken cancellationToken) =>
        Convert.FromHexString((await PythonInterop.RunAsync([Script, "field", view, feature], Limit, cancellationToken)).Trim());

    /// <summary>The serialized <c>feast.types.Value</c> with <paramref name="field"/> set to <paramref name="json"/>.</summary>
    public static async Task<byte[]> ValueAsync(string field, string json, CancellationToken cancellationToken) =>
        Convert.FromHexString((await PythonInterop.RunAsync([Script, "value", PythonInterop.MessagesDirectory, field, json], Limit, cancellationToken)).Trim());
}
