using Arbor.Contracts.V1;
using Arbor.Rpc.Server;
using Arbor.Rpc.Wire;
using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging.Abstractions;

namespace Arbor.Benchmarks.Rpc;

/// <summary>
/// The server path of one unary call without sockets: protocol checks, reading and parsing the
/// request frame, the handler (returns a prepared response), writing the response frame and the
/// trailers. <see cref="Harness"/> measures the fake HTTP exchange alone; the difference is what
/// the RPC layer allocates per call (the parsed request message included).
/// </summary>
[MemoryDiagnoser]
public class ServerPathBenchmarks
{
    private byte[] _frame = null!;
    private UnaryMethodHandler<LeafScoreRequest, LeafScoreResponse> _handler = null!;

    [Params(2 * 1024, 256 * 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var request = FeaturePayload.OfSize(Size);
        var body = request.ToByteArray();
        _frame = new byte[body.Length + GrpcProtocol.FrameHeaderSize];
        MessageFrame.WriteHeader(_frame, compressed: false, body.Length);
        body.CopyTo(_frame, GrpcProtocol.FrameHeaderSize);
        var response = new LeafScoreResponse { Model = request.Model, Version = "7", RowCount = request.RowCount, Outputs = { "p_click" } };
        response.Scores.Add(new float[request.RowCount]);
        _handler = new UnaryMethodHandler<LeafScoreRequest, LeafScoreResponse>(
            "/arbor.v1.Leaf/Score", LeafScoreRequest.Parser, (_, _) => ValueTask.FromResult(response), new RpcServerOptions(), NullLogger.Instance);
    }

    [Benchmark(Baseline = true)]
    public async Task<int> Harness()
    {
        var http = CreateExchange();
        await http.Response.BodyWriter.CompleteAsync();
        return http.Response.StatusCode;
    }

    [Benchmark]
    public async Task<int> ServerPath()
    {
        var http = CreateExchange();
        await _handler.HandleAsync(http);
        await http.Response.BodyWriter.CompleteAsync();
        return http.Response.StatusCode;
    }

    private DefaultHttpContext CreateExchange()
    {
        var http = new DefaultHttpContext();
        http.Features.Set<IHttpResponseTrailersFeature>(new TrailersFeature());
        http.Request.Protocol = "HTTP/2";
        http.Request.Method = "POST";
        http.Request.ContentType = GrpcProtocol.ContentType;
        http.Request.Body = new MemoryStream(_frame, writable: false);
        return http;
    }

    private sealed class TrailersFeature : IHttpResponseTrailersFeature
    {
        public IHeaderDictionary Trailers { get; set; } = new HeaderDictionary();
    }
}
