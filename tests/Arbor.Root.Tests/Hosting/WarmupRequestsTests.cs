using Arbor.Contracts.V1;
using Arbor.Features.Values;
using Arbor.Root.Configuration;
using Arbor.Root.Hosting;
using Arbor.Root.Preprocessing;
using Arbor.Root.Routing;
using Arbor.Signatures.Registry;

namespace Arbor.Root.Tests.Hosting;

public sealed class WarmupRequestsTests
{
    private static readonly FeaturePreprocessor Features = new(new FeatureRegistry(FeatureRegistry.SchemaV1,
    [
        new FeatureDefinition("u_age", FeatureType.Float, FeatureEntity.User),
        new FeatureDefinition("c_ctr", FeatureType.Float, FeatureEntity.Candidate),
        new FeatureDefinition("c_cat", FeatureType.Int64, FeatureEntity.Candidate),
        new FeatureDefinition("c_emb", FeatureType.FloatVector, FeatureEntity.Candidate, Dim: 3),
        new FeatureDefinition("c_ids", FeatureType.Int64List, FeatureEntity.Candidate, Ids: new FeatureIdRange(10, 20)),
        new FeatureDefinition("c_title", FeatureType.String, FeatureEntity.Candidate),
        new FeatureDefinition("c_blob", FeatureType.Bytes, FeatureEntity.Candidate),
        new FeatureDefinition("c_lang", FeatureType.Int64, FeatureEntity.Candidate, Transforms: [new FeatureTransform(TransformKind.HashToId, Buckets: 100)]),
        new FeatureDefinition("c_age", FeatureType.Int64, FeatureEntity.Candidate, Transforms: [new FeatureTransform(TransformKind.Bucketize, Boundaries: [1, 7])]),
        new FeatureDefinition("ctx_hour", FeatureType.Float, FeatureEntity.Context),
    ]));

    [Fact]
    public void Build_OneRequestPerSurfaceAndPerRoutedModel_CandidatesCappedByTheLimit()
    {
        var requests = WarmupRequests.Build(Table(maxCandidates: 8), Features, candidates: 50);

        Assert.Equal(["home", "", ""], requests.Select(r => r.Surface));
        Assert.Equal(["m_a", "m_b"], requests.Skip(1).Select(r => Assert.Single(r.Models).Name));
        Assert.All(requests, r => Assert.Equal(8, r.Candidates.Count));
        Assert.All(requests, r => Assert.StartsWith(WarmupRequests.IdPrefix, r.UserId, StringComparison.Ordinal));
        Assert.All(requests.SelectMany(r => r.Candidates), c => Assert.StartsWith(WarmupRequests.IdPrefix, c.Id, StringComparison.Ordinal));
    }

    [Fact]
    public void Build_TheFirstCandidatesCarryARawValueOfEveryCandidateFeature_ContextOfEveryRequest()
    {
        var request = WarmupRequests.Build(Table(maxCandidates: 50), Features, candidates: 4)[0];

        Assert.Equal(["c_age", "c_blob", "c_cat", "c_ctr", "c_emb", "c_ids", "c_lang", "c_title"], request.Candidates[0].Features.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(FeatureValue.KindOneofCase.StringValue, request.Candidates[0].Features["c_lang"].KindCase);
        Assert.Equal(FeatureValue.KindOneofCase.FloatValue, request.Candidates[0].Features["c_age"].KindCase);
        Assert.Equal(request.Candidates[0].Features, request.Candidates[WarmupRequests.ClientValueCandidates - 1].Features);
        Assert.Empty(request.Candidates[WarmupRequests.ClientValueCandidates].Features);
        Assert.Equal(3, request.Candidates[0].Features["c_emb"].FloatVector.Values.Count);
        Assert.All(request.Candidates[0].Features["c_ids"].Int64List.Values, id => Assert.InRange(id, 10, 20));
        Assert.Equal(["ctx_hour"], request.Context.Keys);
    }

    [Fact]
    public void Build_WithRealIds_RequestsTakeTurnsOverThem_NeverRepeatACandidate_AndUseEachUser()
    {
        string[] candidates = ["c1", "c2", "c3", "c2", "c4", "c5"];
        string[] users = ["u1", "u2"];

        var requests = WarmupRequests.Build(Table(maxCandidates: 50), Features, candidates: 3, users, candidates);

        Assert.Equal(["c1", "c2", "c3"], requests[0].Candidates.Select(c => c.Id));
        Assert.Equal(["c4", "c5", "c1"], requests[1].Candidates.Select(c => c.Id));
        Assert.Equal(["c2", "c3", "c4"], requests[2].Candidates.Select(c => c.Id));
        Assert.Equal(["u1", "u2", "u1"], requests.Select(r => r.UserId));
        Assert.NotEmpty(requests[0].Candidates[0].Features);
    }

    [Fact]
    public void Build_WithFewerRealIdsThanCandidates_SendsEachOnce()
    {
        var requests = WarmupRequests.Build(Table(maxCandidates: 50), Features, candidates: 50, users: [], candidateIds: ["c1", "c2"]);

        Assert.All(requests, r => Assert.Equal(["c1", "c2"], r.Candidates.Select(c => c.Id).Order(StringComparer.Ordinal)));
        Assert.All(requests, r => Assert.StartsWith(WarmupRequests.IdPrefix, r.UserId, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(new[] { 9.0, 5.0, 3.1, 3.0, 3.2, 3.05 }, true)]
    [InlineData(new[] { 9.0, 5.0, 3.1, 3.0, 3.8 }, false)]
    [InlineData(new[] { 3.0, 3.0, 3.0 }, false)]
    public void IsFlat_TheLastWindowsAgree(double[] curve, bool flat) =>
        Assert.Equal(flat, RootWarmup.IsFlat(curve));

    [Fact]
    public void Pick_EachRequestOnce_ThenTheSurfacesInTurn()
    {
        var requests = new[] { "s1", "s2", "m1", "m2", "m3" }.Select(id => new ScoreRequest { RequestId = id }).ToArray();

        var sent = Enumerable.Range(0, 11).Select(i => WarmupRequests.Pick(requests, surfaces: 2, i).RequestId);
        var withoutSurfaces = Enumerable.Range(0, 7).Select(i => WarmupRequests.Pick(requests, surfaces: 0, i).RequestId);

        Assert.Equal(["s1", "s2", "m1", "m2", "m3", "s1", "s2", "s1", "s2", "s1", "s2"], sent);
        Assert.Equal(["s1", "s2", "m1", "m2", "m3", "s1", "s2"], withoutSurfaces);
    }

    [Theory]
    [InlineData(new long[] { 1500, 300, 120, 4, 0, 5 }, true)]
    [InlineData(new long[] { 1500, 300, 0, 0, 0, 6 }, false)]
    [InlineData(new long[] { 1500, 0, 0, 200, 1, 0 }, false)]
    [InlineData(new long[] { 0, 0 }, false)]
    public void IsJitQuiet_TheLastWindowsCompiledAtMostAFewMethods(long[] compiled, bool quiet) =>
        Assert.Equal(quiet, RootWarmup.IsJitQuiet(compiled));

    [Theory]
    [InlineData("""{ "max_seconds": 0 }""", "$.warmup.max_seconds")]
    [InlineData("""{ "max_requests": 0 }""", "$.warmup.max_requests")]
    [InlineData("""{ "candidates": 0 }""", "$.warmup.candidates")]
    public void Config_OutOfRange_IsRefusedWithItsPath(string warmup, string path)
    {
        var error = Assert.Throws<RootConfigException>(() => RootConfigLoader.Parse($$"""{ "schema": "arbor.root/v1", "feature_store": { "kind": "sqlite", "path": "f.db" }, "warmup": {{warmup}} }"""));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    private static RoutingTable Table(int maxCandidates) => RoutingTable.Build(new RootConfig
    {
        FeatureStore = new FeatureStoreConfig { Path = "unused.db" },
        Limits = new LimitsConfig { MaxCandidates = maxCandidates },
        Partitions = new() { ["p"] = new PartitionConfig { Endpoints = ["http://127.0.0.1:1"] } },
        Models = new() { ["m_b"] = new ModelRouteConfig { Partition = "p" }, ["m_a"] = new ModelRouteConfig { Partition = "p" } },
        Surfaces = new() { ["home"] = new SurfaceConfig { Models = ["m_a"] } },
    });
}
