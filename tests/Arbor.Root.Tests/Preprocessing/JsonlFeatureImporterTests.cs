using System.Text;
using Arbor.Features.Values;
using Arbor.FeatureStore.Import;
using Arbor.FeatureStore.Native;
using Arbor.FeatureStore.Sources;
using Arbor.Root.Preprocessing;
using Arbor.Signatures.Registry;
using Arbor.Testing;
using Xunit;

namespace Arbor.Root.Tests.Preprocessing;

public sealed class JsonlFeatureImporterTests : IAsyncLifetime
{
    private static readonly FeaturePreprocessor Registry = new(new FeatureRegistry(FeatureRegistry.SchemaV1,
    [
        new("user_age_days", FeatureType.Float, FeatureEntity.User),
        new("user_interest_ids", FeatureType.Int64List, FeatureEntity.User),
        new("user_emb_v2", FeatureType.FloatVector, FeatureEntity.User, Dim: 2),
        new("user_country", FeatureType.Int64, FeatureEntity.User, Transforms: [new(TransformKind.HashToId, Buckets: 100)]),
        new("pin_ctr_bucket", FeatureType.Int64, FeatureEntity.Candidate, Transforms: [new(TransformKind.Bucketize, Boundaries: [0.1])]),
        new("pin_clicks", FeatureType.Int64, FeatureEntity.Candidate),
        new("pin_thumb", FeatureType.Bytes, FeatureEntity.Candidate),
    ]));

    private readonly TempDirectory _directory = new();
    private SqliteFeatureStore _store = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _store = new SqliteFeatureStore(_directory.Combine("features.db"));
        await _store.InitializeAsync(Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _store.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task Import_ValidFile_WritesValuesTypedByTheRegistry()
    {
        var result = await ImportAsync(
            """
            {"entity":"user","id":"u17","features":{"user_age_days":812,"user_interest_ids":[3,77],"user_emb_v2":[0.1,0.2],"user_country":"FR"}}

            {"entity":"candidate","id":"p1","features":{"pin_ctr_bucket":0.25,"pin_clicks":12,"pin_thumb":"AAH/"}}
            """,
            Registry);

        Assert.Equal(new FeatureImportResult(Entities: 2, Users: 1, Candidates: 1, Values: 7, Deleted: 0), result);
        var user = await _store.ReadAsync(EntityKind.User, ["u17"], FeatureProjection.All, Ct);
        Assert.Equal(812f, user.Get(0, "user_age_days").AsFloat());
        Assert.Equal([3L, 77L], user.Get(0, "user_interest_ids").AsInt64List().ToArray());
        Assert.Equal([0.1f, 0.2f], user.Get(0, "user_emb_v2").AsFloatVector().ToArray());
        Assert.Equal("FR", user.Get(0, "user_country").AsString());
        var candidate = await _store.ReadAsync(EntityKind.Candidate, ["p1"], FeatureProjection.All, Ct);
        Assert.Equal(0.25f, candidate.Get(0, "pin_ctr_bucket").AsFloat());
        Assert.Equal(12, candidate.Get(0, "pin_clicks").AsInt64());
        Assert.Equal([0, 1, 255], candidate.Get(0, "pin_thumb").AsBytes().ToArray());
    }

    [Fact]
    public async Task Import_WithoutRegistry_InfersTypesFromTheJson()
    {
        await ImportAsync("""{"entity":"user","id":"u1","features":{"a":1.0,"b":2,"c":[1,2],"d":[1,2.5],"e":"x","f":1e3}}""", registry: null);

        var user = await _store.ReadAsync(EntityKind.User, ["u1"], FeatureProjection.All, Ct);
        Assert.Equal(FeatureType.Float, user.Get(0, "a").Kind);
        Assert.Equal(FeatureType.Int64, user.Get(0, "b").Kind);
        Assert.Equal(FeatureType.Int64List, user.Get(0, "c").Kind);
        Assert.Equal(FeatureType.FloatVector, user.Get(0, "d").Kind);
        Assert.Equal(FeatureType.String, user.Get(0, "e").Kind);
        Assert.Equal(1000f, user.Get(0, "f").AsFloat());
    }

    [Fact]
    public async Task Import_NullValue_DeletesTheFeature()
    {
        await ImportAsync("""{"entity":"candidate","id":"p1","features":{"pin_clicks":1,"pin_ctr_bucket":0.5}}""", Registry);

        var result = await ImportAsync("""{"entity":"candidate","id":"p1","features":{"pin_clicks":null}}""", Registry);

        Assert.Equal(1, result.Deleted);
        var table = await _store.ReadAsync(EntityKind.Candidate, ["p1"], FeatureProjection.All, Ct);
        Assert.Equal(["pin_ctr_bucket"], table.Features);
    }

    [Theory]
    [InlineData("""{"entity":"user","id":"u1","features":{"nope":1.0}}""", "'nope' is not in the registry")]
    [InlineData("""{"entity":"candidate","id":"p1","features":{"user_age_days":1.0}}""", "belongs to the user")]
    [InlineData("""{"entity":"user","id":"u1","features":{"user_age_days":"old"}}""", "not a string")]
    [InlineData("""{"entity":"user","id":"u1","features":{"user_emb_v2":[0.1]}}""", "float vector of 2 values")]
    [InlineData("""{"entity":"user","id":"u1","features":{"user_interest_ids":[1,2.5]}}""", "not an int64")]
    [InlineData("""{"entity":"candidate","id":"p1","features":{"pin_clicks":1.5}}""", "1.5 is not an int64")]
    [InlineData("""{"entity":"candidate","id":"p1","features":{"pin_thumb":"not base64!"}}""", "base64")]
    [InlineData("""{"entity":"user","id":"u1","features":{"user_age_days":1e300}}""", "out of float range")]
    [InlineData("""{"entity":"pin","id":"p1","features":{}}""", "unknown entity 'pin'")]
    [InlineData("""{"entity":"user","features":{}}""", "missing string \"id\"")]
    [InlineData("""{"entity":"user","id":"","features":{}}""", "must not be empty")]
    [InlineData("""{"entity":"user","id":"u1"}""", "missing \"features\"")]
    [InlineData("""{"entity":"user","id":"u1","features":{},"extra":1}""", "unexpected field \"extra\"")]
    [InlineData("""{"entity":"user","id":"u1","features":{"user_age_days":1.0}""", "not valid JSON")]
    [InlineData("""[1,2]""", "expected an object")]
    public async Task Import_BadLine_NamesTheLineAndTheProblem(string badLine, string expected)
    {
        var input = """
            {"entity":"user","id":"u0","features":{"user_age_days":1.0}}

            """ + "\n" + badLine + "\n";

        var error = await Assert.ThrowsAsync<FeatureImportException>(() => ImportAsync(input, Registry));

        Assert.Equal(3, error.LineNumber);
        Assert.StartsWith("features.jsonl:3: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_BadLineAfterWrittenBatches_WritesNothing()
    {
        var good = string.Join('\n', Enumerable.Range(0, 10).Select(i => $$$"""{"entity":"candidate","id":"p{{{i}}}","features":{"pin_clicks":{{{i}}}}}"""));

        await Assert.ThrowsAsync<FeatureImportException>(() => ImportAsync(good + "\n{oops\n", Registry, batchSize: 3));

        Assert.Equal(new FeatureStoreStats(0, 0, 0, 0), await _store.GetStatsAsync(Ct));
    }

    [Fact]
    public async Task Import_InvalidUtf8_IsReportedWithItsLine()
    {
        var bytes = Encoding.UTF8.GetBytes("""{"entity":"user","id":"u1","features":{}}""" + "\n").Concat(new byte[] { 0xff, 0xfe, (byte)'\n' }).ToArray();

        var error = await Assert.ThrowsAsync<FeatureImportException>(() =>
            JsonlFeatureImporter.ImportAsync(_store, new MemoryStream(bytes), "f", Registry, 10, Ct));

        Assert.Contains("UTF-8", error.Message, StringComparison.Ordinal);
    }

    private Task<FeatureImportResult> ImportAsync(string text, FeaturePreprocessor? registry, int batchSize = JsonlFeatureImporter.DefaultBatchSize) =>
        JsonlFeatureImporter.ImportAsync(_store, new MemoryStream(Encoding.UTF8.GetBytes(text)), "features.jsonl", registry, batchSize, Ct);
}
