using System.Buffers;
using Arbor.Cli.Bench;
using Arbor.Contracts.V1;
using Google.Protobuf;
using Grpc.Core;
using Xunit;

namespace Arbor.FunctionalTests.Bench;

/// <summary>
/// The bench's null leaf reads what it answers from the request's own bytes, and answers a union
/// call as its Score calls would be answered, model by model.
/// </summary>
public sealed class NullLeafTests
{
    private static readonly Dictionary<string, string> Latest = new(StringComparer.Ordinal) { ["m_a"] = "7", ["m_b"] = "3" };

    [Fact]
    public void ScanUnionRequest_ReadsEachModelAndTheRowCount_SkippingTheColumns()
    {
        var request = UnionRequest(rows: 5, ("m_a", ""), ("m_b", "2"), ("m_c", ""));

        var header = NullLeaf.ScanUnionRequest(new ReadOnlySequence<byte>(request.ToByteArray()));

        Assert.Equal(5u, header.RowCount);
        Assert.Equal([("m_a", ""), ("m_b", "2"), ("m_c", "")], header.Models);
    }

    [Fact]
    public async Task ScoreUnion_EachModelScoredAsItsScoreCall_AnUnservedModelFailsAlone()
    {
        var service = new NullLeaf.NullLeafService(Latest);
        var header = NullLeaf.ScanUnionRequest(new ReadOnlySequence<byte>(UnionRequest(rows: 4, ("m_a", ""), ("m_c", ""), ("m_b", "2")).ToByteArray()));

        var response = await service.ScoreUnion(header, null!);

        Assert.Equal(3, response.Results.Count);
        var single = await service.Score(new NullLeaf.ScoreHeader("m_a", "", 4, "r"), null!);
        Assert.Equal(single.Scores, response.Results[0].Response.Scores);
        Assert.Equal(("m_a", "7", 4u), (response.Results[0].Response.Model, response.Results[0].Response.Version, response.Results[0].Response.RowCount));
        Assert.Null(response.Results[1].Response);
        Assert.Equal((int)StatusCode.NotFound, response.Results[1].Status.Code);
        Assert.Equal(("m_b", "2"), (response.Results[2].Response.Model, response.Results[2].Response.Version));
        var error = await Assert.ThrowsAsync<RpcException>(() => service.Score(new NullLeaf.ScoreHeader("m_c", "", 4, "r"), null!));
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal(error.Status.Detail, response.Results[1].Status.Message);
    }

    private static LeafUnionScoreRequest UnionRequest(uint rows, params (string Model, string Version)[] models)
    {
        var request = new LeafUnionScoreRequest { RowCount = rows, RequestId = "r" };
        request.Columns.Add(new FeatureColumn { Name = "c_ctr", Floats = new FloatColumn { Values = { 0.1f, 0.2f, 0.3f, 0.4f, 0.5f } } });
        request.SharedColumns.Add(new FeatureColumn { Name = "u_age", Floats = new FloatColumn { Values = { 31 } } });
        foreach (var (model, version) in models)
        {
            request.Models.Add(new LeafUnionModel
            {
                Model = model,
                Version = version,
                TrimmedFor = new TrimmedFor { Model = model, Version = "1", AllowlistSha256 = "00" },
                Columns = { 0 },
                SharedColumns = { 0 },
            });
        }

        return request;
    }
}
