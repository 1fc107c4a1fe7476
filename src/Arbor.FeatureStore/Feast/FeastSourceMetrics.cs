using System.Diagnostics.Metrics;
using Arbor.FeatureStore.Sources;

namespace Arbor.FeatureStore.Feast;

/// <summary>
/// What a Feast source met while reading (meter <c>Arbor.FeatureStore.Feast</c>): stored values it
/// could not serve, by view, feature and problem (<c>corrupt</c>, <c>unknown_type</c>,
/// <c>type_not_taken</c>), ids that are not a key of the join key's type, and values past their
/// view's time to live. Each such value is missing from the answer; the read goes on. Also the
/// queries sent, by view: one per view per batch read (SQLite, PostgreSQL); and for Redis the
/// commands sent (one HMGET per entity per batch read) and entities whose hash holds other views
/// but not a configured one (a view Feast never wrote for them, or one it does not have).
/// </summary>
public sealed class FeastSourceMetrics : IDisposable
{
    public const string MeterName = "Arbor.FeatureStore.Feast";

    private readonly Meter _meter;
    private readonly Counter<long> _badValues;
    private readonly Counter<long> _badIds;
    private readonly Counter<long> _expired;
    private readonly Counter<long> _queries;
    private readonly Counter<long> _redisCommands;
    private readonly Counter<long> _absentViews;

    public FeastSourceMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _badValues = _meter.CreateCounter<long>("arbor.feast.bad_values", "{value}", "Stored Feast values that could not be served (missing instead).");
        _badIds = _meter.CreateCounter<long>("arbor.feast.bad_ids", "{id}", "Ids that are not a key of their join key's type (missing instead).");
        _expired = _meter.CreateCounter<long>("arbor.feast.expired_values", "{value}", "Stored Feast values older than their view's time to live (missing instead).");
        _queries = _meter.CreateCounter<long>("arbor.feast.queries", "{query}", "Queries sent to the Feast online store (one per feature view per batch read).");
        _redisCommands = _meter.CreateCounter<long>("arbor.feast.redis_commands", "{command}", "Commands sent to a Feast Redis online store (one HMGET per entity per batch read).");
        _absentViews = _meter.CreateCounter<long>("arbor.feast.absent_views", "{entity}", "Entities whose Feast Redis hash holds other views but not this one (its features missing).");
    }

    internal Meter Meter => _meter;

    internal void BadValue(string view, string feature, FeastValueStatus problem) =>
        _badValues.Add(1, new("view", view), new("feature", feature), new("problem", ProblemName(problem)));

    internal void BadId(EntityKind entity) => _badIds.Add(1, new KeyValuePair<string, object?>("entity", entity.ToName()));

    internal void Query(string view) => _queries.Add(1, new KeyValuePair<string, object?>("view", view));

    internal void RedisCommands(string command, long count) => _redisCommands.Add(count, new KeyValuePair<string, object?>("command", command));

    internal void AbsentView(string view) => _absentViews.Add(1, new KeyValuePair<string, object?>("view", view));

    internal void Expired(string view, long count) => _expired.Add(count, new KeyValuePair<string, object?>("view", view));

    internal static string ProblemName(FeastValueStatus problem) => problem switch
    {
        FeastValueStatus.Corrupt => "corrupt",
        FeastValueStatus.UnknownType => "unknown_type",
        FeastValueStatus.TypeNotTaken => "type_not_taken",
        _ => "other",
    };

    public void Dispose() => _meter.Dispose();
}
