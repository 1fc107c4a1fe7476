using System.Net;
using System.Text;
using Arbor.Contracts.V1;
using Grpc.Core;

namespace Arbor.Root.Tests.Hosting;

/// <summary>
/// What one request may ask of the root: distinct models (repeats scored once), id and request id
/// lengths, echoed input in errors, the JSON body size; each refusal leaves the root serving.
/// </summary>
[Collection(AllocationMeasuredCollection.Name)]
public sealed class RootLimitsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RepeatedModel_IsScoredOnceWithOneLeafCall()
    {
        await using var cluster = await RootTestCluster.StartAsync();
        var request = RootTestCluster.Request();
        for (var i = 0; i < 100; i++)
        {
            request.Models.Add(new ModelSelector { Name = "m_a" });
        }

        var response = await cluster.ScoreAsync(request);

        Assert.Equal("m_a", Assert.Single(response.Results).Model);
        Assert.Equal(0, response.Results[0].Status.Code);
        Assert.Single(cluster.LeafA.Requests);
    }

    [Fact]
    public async Task MoreDistinctModelsThanTheLimit_IsInvalidArgument_WithNoLeafCall()
    {
        await using var cluster = await RootTestCluster.StartAsync(editConfig: c => WithLimit(c, "\"max_models\": 1"));
        var both = RootTestCluster.Request();
        both.Models.Add(new ModelSelector { Name = "m_a" });
        both.Models.Add(new ModelSelector { Name = "m_b" });
        var repeated = RootTestCluster.Request();
        repeated.Models.Add(new ModelSelector { Name = "m_a" });
        repeated.Models.Add(new ModelSelector { Name = "m_a" });

        var error = await Assert.ThrowsAsync<RpcException>(() => cluster.ScoreAsync(both));
        var response = await cluster.ScoreAsync(repeated);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("1", error.Status.Detail, StringComparison.Ordinal);
        Assert.Empty(cluster.LeafB.Requests);
        Assert.Equal(0, Assert.Single(response.Results).Status.Code);
    }

    [Fact]
    public async Task LongRequestId_IsInvalidArgument_AndTheLimitItselfIsServed()
    {
        await using var cluster = await RootTestCluster.StartAsync(editConfig: c => WithLimit(c, "\"max_request_id_bytes\": 64"));
        var tooLong = RootTestCluster.Request();
        tooLong.RequestId = new string('r', 65);
        var atLimit = RootTestCluster.Request();
        atLimit.RequestId = new string('r', 64);

        var error = await Assert.ThrowsAsync<RpcException>(() => cluster.ScoreAsync(tooLong));
        Assert.Empty(cluster.LeafA.Requests);
        var response = await cluster.ScoreAsync(atLimit);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("request_id", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(atLimit.RequestId, response.RequestId);
        Assert.All(response.Results, r => Assert.Equal(0, r.Status.Code));
    }

    [Fact]
    public async Task DefaultLimits_RefuseAFourMebibyteRequestId()
    {
        await using var cluster = await RootTestCluster.StartAsync();
        var request = RootTestCluster.Request();
        request.RequestId = new string('r', 4 * 1024 * 1024);

        var error = await Assert.ThrowsAsync<RpcException>(() => cluster.ScoreAsync(request));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Empty(cluster.LeafA.Requests);
        Assert.Empty(cluster.LeafB.Requests);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task LongCandidateOrUserId_IsInvalidArgument(bool candidate)
    {
        await using var cluster = await RootTestCluster.StartAsync(editConfig: c => WithLimit(c, "\"max_id_bytes\": 16"));
        var request = RootTestCluster.Request();
        if (candidate)
        {
            request.Candidates[2].Id = new string('é', 9); // 18 UTF-8 bytes
        }
        else
        {
            request.UserId = new string('u', 17);
        }

        var error = await Assert.ThrowsAsync<RpcException>(() => cluster.ScoreAsync(request));
        var next = await cluster.ScoreAsync(RootTestCluster.Request());

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains(candidate ? "candidates[2].id" : "user_id", error.Status.Detail, StringComparison.Ordinal);
        Assert.All(next.Results, r => Assert.Equal(0, r.Status.Code));
    }

    [Fact]
    public async Task UnknownModelWithAHugeName_EchoesOnlyItsStart()
    {
        await using var cluster = await RootTestCluster.StartAsync();
        var request = RootTestCluster.Request();
        request.Models.Add(new ModelSelector { Name = "x" + new string('n', 100_000) });

        var error = await Assert.ThrowsAsync<RpcException>(() => cluster.ScoreAsync(request));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.StartsWith("unknown model 'xnnn", error.Status.Detail, StringComparison.Ordinal);
        Assert.True(error.Status.Detail.Length < 200, $"{error.Status.Detail.Length} chars came back");
    }

    [Fact]
    public async Task JsonBodiesAboveTheMessageLimit_Answer413_WithoutHoldingTheBodies_AndTheRootKeepsServing()
    {
        const int Limit = 1024 * 1024;
        const int BodyBytes = 3 * Limit;
        const int Concurrent = 8;
        await using var cluster = await RootTestCluster.StartAsync(editConfig: c => WithLimit(c, $"\"max_message_bytes\": {Limit}"));
        await cluster.ScoreAsync(RootTestCluster.Request());

        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var attempts = await Task.WhenAll(Enumerable.Range(0, Concurrent).Select(async _ =>
        {
            using var content = new PaddedJsonContent(BodyBytes);
            try
            {
                using var answer = await cluster.Http.PostAsync(new Uri("/v1/score", UriKind.Relative), content, Ct);
                return ((HttpStatusCode, string Body)?)(answer.StatusCode, await answer.Content.ReadAsStringAsync(Ct));
            }
            catch (HttpRequestException e) when (e.InnerException is IOException)
            {
                // The root answered 413 and closed the connection while the client was still sending
                // the body: HTTP/1.1 lets a server refuse a body without reading it, and the client
                // then sees its write fail instead of the answer. A refusal all the same.
                return null;
            }
        }));
        var answers = attempts.OfType<(HttpStatusCode StatusCode, string Body)>().ToList();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        using var good = await cluster.Http.PostAsync(
            new Uri("/v1/score", UriKind.Relative), new StringContent("""{"surface": "home", "userId": "u1", "candidates": [{"id": "c1"}]}""", Encoding.UTF8, "application/json"), Ct);

        Assert.NotEmpty(answers);
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.RequestEntityTooLarge, a.StatusCode));
        Assert.All(answers, a => Assert.Contains("RESOURCE_EXHAUSTED", a.Body.Replace("ResourceExhausted", "RESOURCE_EXHAUSTED", StringComparison.Ordinal), StringComparison.Ordinal));
        // Holding each body as one string costs two bytes per body byte; streaming costs buffers.
        Assert.True(allocated < (long)Concurrent * BodyBytes, $"{allocated:N0} bytes allocated for {Concurrent} bodies of {BodyBytes:N0} bytes");
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
    }

    [Fact]
    public async Task JsonBodyLargerThanTheMemoryBuffer_IsParsedAndScored()
    {
        await using var cluster = await RootTestCluster.StartAsync();
        var json = """{"surface": "home", "userId": "u1", "requestId": "big", "candidates": [{"id": "c1"}, {"id": "c2"}]""" + new string(' ', 512 * 1024) + "}";

        using var answer = await cluster.Http.PostAsync(new Uri("/v1/score", UriKind.Relative), new StringContent(json, Encoding.UTF8, "application/json"), Ct);
        var body = await answer.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var response = ScoreResponse.Parser.ParseJson(body);
        Assert.Equal("big", response.RequestId);
        Assert.All(response.Results, r => Assert.Equal(2, r.Candidates.Count));
    }

    private static string WithLimit(string config, string limit)
    {
        const string Anchor = "\"limits\": {";
        Assert.Contains(Anchor, config, StringComparison.Ordinal);
        return config.Replace(Anchor, $"{Anchor} {limit},", StringComparison.Ordinal);
    }

    /// <summary>A valid JSON request padded with spaces to a size, written from one small buffer, with no length (chunked).</summary>
    private sealed class PaddedJsonContent(int bytes) : HttpContent
    {
        private static readonly byte[] Head = Encoding.UTF8.GetBytes("""{"surface": "home", "candidates": [{"id": "c1"}]""");

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(Head);
            var spaces = new byte[16 * 1024];
            Array.Fill(spaces, (byte)' ');
            for (var left = bytes - Head.Length - 1; left > 0; left -= spaces.Length)
            {
                await stream.WriteAsync(spaces.AsMemory(0, Math.Min(left, spaces.Length)));
            }

            await stream.WriteAsync("}"u8.ToArray());
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
