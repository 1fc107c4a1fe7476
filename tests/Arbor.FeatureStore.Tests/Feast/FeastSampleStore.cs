using Arbor.FeatureStore.Feast;
using Arbor.FeatureStore.Import;
using Arbor.FeatureStore.Native;
using Arbor.FeatureStore.Sources;
using Arbor.Signatures.Registry;
using Arbor.Testing;
using Arbor.Testing.Feast;
using Microsoft.Data.Sqlite;

namespace Arbor.FeatureStore.Tests.Feast;

/// <summary>
/// The sample feature data twice, written once per test class: as a Feast SQLite online store (by
/// feast_writer.py) and in Arbor's native SQLite store (by the JSONL import). Tests that change the
/// Feast store take their own copy.
/// </summary>
public sealed class FeastSampleStore : IAsyncLifetime
{
    private readonly TempDirectory _directory = new("arbor-feast-");

    /// <summary>When every row was written (event_ts).</summary>
    public static readonly DateTimeOffset Written = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    public RegistrySchema Schema { get; } = RegistrySchema.Sample();

    public string FeastDatabase => _directory.Combine("online_store.db");

    public string NativeDatabase => _directory.Combine("features.db");

    public IReadOnlyList<string> UserIds { get; private set; } = [];

    public IReadOnlyList<string> CandidateIds { get; private set; } = [];

    public FeatureProjection UserFeatures => FeatureProjection.Of(Schema.Features.Where(f => f.Entity == FeatureEntity.User).Select(f => f.Name));

    public FeatureProjection CandidateFeatures => FeatureProjection.Of(Schema.Features.Where(f => f.Entity == FeatureEntity.Candidate).Select(f => f.Name));

    /// <summary>Every registry feature mapped by name to the view of its entity, TTL <paramref name="ttl"/>.</summary>
    public FeastSourceOptions Options(TimeSpan ttl = default, FeastKeyType userKeyType = FeastKeyType.String, params string[] extraUserViews) => new(
        FeastWriter.Project,
        [
            new FeastEntityOptions(EntityKind.User, FeastWriter.UserJoinKey, userKeyType, [new FeastViewOptions(FeastWriter.UserView, ttl), .. extraUserViews.Select(v => new FeastViewOptions(v, ttl))]),
            new FeastEntityOptions(EntityKind.Candidate, FeastWriter.CandidateJoinKey, FeastKeyType.String, [new FeastViewOptions(FeastWriter.CandidateView, ttl)]),
        ],
        Schema.Features.Where(f => f.Entity != FeatureEntity.Context).ToDictionary(
            f => f.Name,
            f => new FeastFeatureRef(f.Entity == FeatureEntity.User ? FeastWriter.UserView : FeastWriter.CandidateView, f.Name),
            StringComparer.Ordinal));

    /// <summary>A copy of the Feast store this test may change.</summary>
    public string CopyFeast()
    {
        var copy = _directory.Combine($"online_store.{Guid.NewGuid():N}.db");
        File.Copy(FeastDatabase, copy);
        return copy;
    }

    /// <summary>Runs one statement against a Feast store file.</summary>
    public static async Task ExecuteAsync(string database, string sql, CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Pooling = false }.ToString());
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        await FeastWriter.WriteSampleAsync(FeastDatabase, Written, ct);
        await using (var store = new SqliteFeatureStore(NativeDatabase))
        {
            await store.InitializeAsync(ct);
            await using var input = File.OpenRead(SampleModelRepository.Combine("features.jsonl"));
            await JsonlFeatureImporter.ImportAsync(store, input, "features.jsonl", Schema, JsonlFeatureImporter.DefaultBatchSize, ct);
        }

        List<string> users = [], candidates = [];
        foreach (var line in File.ReadLines(SampleModelRepository.Combine("features.jsonl")))
        {
            using var entity = System.Text.Json.JsonDocument.Parse(line);
            var id = entity.RootElement.GetProperty("id").GetString()!;
            (entity.RootElement.GetProperty("entity").GetString() == "user" ? users : candidates).Add(id);
        }

        UserIds = users;
        CandidateIds = candidates;
    }

    public ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        _directory.Dispose();
        return ValueTask.CompletedTask;
    }
}
