using System.Buffers;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Arbor.Contracts.V1;
using Arbor.Rpc.Accounting;
using Arbor.Rpc.Compression;
using Arbor.Rpc.Server;
using Arbor.Rpc.Tests.Fixtures;
using Arbor.Testing;
using Google.Protobuf;

namespace Arbor.Rpc.Tests.Interop;

/// <summary>A real gRPC client (python3-grpcio, interop_client.py) against Arbor's server.</summary>
public sealed class GrpcioClientToArborServerTests
{
    private const int ServerMaxReceive = 64 * 1024;
    private const int EncodingHeaderSlack = 128;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 60_000)]
    public async Task UnaryOk_ListModels()
    {
        await using var server = await StartAsync();

        var result = await CallAsync(server, "/arbor.v1.Leaf/ListModels", new ListModelsRequest());

        Assert.Equal("OK", result.Code);
        Assert.Equal(TestLeafService.Models(), ListModelsResponse.Parser.ParseFrom(result.Response));
    }

    [Fact(Timeout = 60_000)]
    public async Task UnaryOk_ScoreWithFeatureColumns()
    {
        await using var server = await StartAsync();
        var request = Payloads.LeafRequest(rows: 40);

        var result = await CallAsync(server, "/arbor.v1.Leaf/Score", request);

        Assert.Equal("OK", result.Code);
        Assert.Equal(request, server.Leaf.LastScoreRequest);
        Assert.Equal(TestLeafService.Echo(request), LeafScoreResponse.Parser.ParseFrom(result.Response));
        Assert.StartsWith("ipv4:127.0.0.1:", server.Leaf.LastPeer, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task Gzip_BothWays()
    {
        await using var server = await StartAsync();
        var request = Payloads.LeafRequest(rows: 150, model: "big");
        var expected = TestLeafService.Big(request);
        var requestBytes = request.ToByteArray();
        var responseBytes = expected.ToByteArray();
        var responseCompressed = Codecs.Compress("gzip", responseBytes).Length;
        // grpcio compresses with zlib's default level; .NET's fastest gzip is a bound it stays under.
        var requestBound = new GzipCodec(CompressionLevel.Fastest).Compress(requestBytes, new ArrayBufferWriter<byte>());

        // One grpcio process (one connection, set-up included) per call: identity first, for the framing.
        var identity = await MeasuredAsync(server, () => CallAsync(server, "/arbor.v1.Leaf/Score", request));
        var gzip = await MeasuredAsync(server, () => CallAsync(server, "/arbor.v1.Leaf/Score", request, "--compression", "gzip"));

        Assert.Equal("OK", identity.Result.Code);
        Assert.Equal("OK", gzip.Result.Code);
        Assert.Equal(request, server.Leaf.LastScoreRequest);
        Assert.Equal(expected, LeafScoreResponse.Parser.ParseFrom(gzip.Result.Response));
        var requestFraming = identity.Wire.BytesReceived - requestBytes.Length;
        var responseFraming = identity.Wire.BytesSent - responseBytes.Length;
        TestContext.Current.TestOutputHelper?.WriteLine($"request {requestBytes.Length} B (gzip fastest {requestBound} B): wire {identity.Wire.BytesReceived} / {gzip.Wire.BytesReceived} B; " +
            $"response {responseBytes.Length} B (gzip {responseCompressed} B): wire {identity.Wire.BytesSent} / {gzip.Wire.BytesSent} B");
        Assert.True(gzip.Wire.BytesReceived <= requestBound + requestFraming + EncodingHeaderSlack, $"request: {gzip.Wire.BytesReceived} bytes on the wire");
        Assert.True(gzip.Wire.BytesSent <= responseCompressed + responseFraming + EncodingHeaderSlack, $"response: {gzip.Wire.BytesSent} bytes on the wire");
    }

    [Fact(Timeout = 60_000)]
    public async Task ErrorStatus_NonAsciiMessage()
    {
        await using var server = await StartAsync();

        var result = await CallAsync(server, "/arbor.v1.Leaf/Score", new LeafScoreRequest { Model = "fail" });

        Assert.Equal("NOT_FOUND", result.Code);
        Assert.Equal(TestLeafService.NonAsciiMessage, result.Details);
    }

    [Fact(Timeout = 60_000)]
    public async Task ErrorStatus_PlainException_InternalWithoutItsText()
    {
        await using var server = await StartAsync();

        var result = await CallAsync(server, "/arbor.v1.Leaf/Score", new LeafScoreRequest { Model = "boom" });

        Assert.Equal("INTERNAL", result.Code);
        Assert.DoesNotContain("secret", result.Details, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task HugeModelNameEchoedIntoNotFound_ComesBackNotFound()
    {
        // grpcio refuses trailers over 8 KiB (RESOURCE_EXHAUSTED): a 1 MiB name echoed into the
        // status message would turn NOT_FOUND into that, were the message not capped.
        await using var server = await RpcTestServer.StartAsync();
        var model = "missing-" + new string('x', 1 << 20);

        var result = await CallAsync(server, "/arbor.v1.Leaf/Score", new LeafScoreRequest { Model = model });

        Assert.Equal("NOT_FOUND", result.Code);
        Assert.StartsWith(TestLeafService.MissingPrefix + "missing-xxxx", result.Details, StringComparison.Ordinal);
        Assert.InRange(Encoding.UTF8.GetByteCount(result.Details), 100, RpcServerOptions.MaxStatusDetailBytes);
        Assert.Equal(model, server.Leaf.LastScoreRequest?.Model);
    }

    [Fact(Timeout = 60_000)]
    public async Task DeadlineExceeded_AndTheHandlerIsCancelled()
    {
        await using var server = await StartAsync();

        var result = await CallAsync(server, "/arbor.v1.Leaf/Score", new LeafScoreRequest { Model = "wait" }, "--timeout", "1.0", "--warm-up");

        Assert.Equal("DEADLINE_EXCEEDED", result.Code);
        Assert.True(await server.Leaf.WaitCancelled.WaitAsync(TimeSpan.FromSeconds(10), Ct));
        Assert.NotNull(server.Leaf.LastDeadline);
        Assert.Empty(server.Logs.Errors);
    }

    [Fact(Timeout = 60_000)]
    public async Task LongButValidTimeout_1e8Seconds_AnswersNormally()
    {
        await using var server = await StartAsync();
        var request = Payloads.LeafRequest(rows: 5);

        var result = await CallAsync(server, "/arbor.v1.Leaf/Score", request, "--timeout", "1e8");

        Assert.Equal("OK", result.Code);
        Assert.Equal(TestLeafService.Echo(request), LeafScoreResponse.Parser.ParseFrom(result.Response));
        Assert.True(server.Leaf.LastCallDeadline > DateTime.UtcNow.AddDays(365), $"{server.Leaf.LastCallDeadline:O}");
        Assert.Empty(server.Logs.Errors);
    }

    [Fact(Timeout = 60_000)]
    public async Task OversizedMessage_ResourceExhausted()
    {
        await using var server = await StartAsync();
        var request = Payloads.LeafRequest(rows: 400);
        Assert.True(request.CalculateSize() > ServerMaxReceive);

        var result = await CallAsync(server, "/arbor.v1.Leaf/Score", request);

        Assert.Equal("RESOURCE_EXHAUSTED", result.Code);
        Assert.Null(server.Leaf.LastScoreRequest);
    }

    [Fact(Timeout = 60_000)]
    public async Task UnknownMethod_Unimplemented()
    {
        await using var server = await StartAsync();

        var method = await CallAsync(server, "/arbor.v1.Leaf/Nope", new ListModelsRequest());
        var service = await CallAsync(server, "/arbor.v1.Nowhere/ListModels", new ListModelsRequest());

        Assert.Equal("UNIMPLEMENTED", method.Code);
        Assert.Equal("UNIMPLEMENTED", service.Code);
    }

    [Fact(Timeout = 60_000)]
    public async Task UnsupportedEncoding_Deflate_Unimplemented()
    {
        // grpcio can send deflate, which Arbor does not implement.
        await using var server = await StartAsync();

        var result = await CallAsync(server, "/arbor.v1.Leaf/Score", Payloads.LeafRequest(rows: 50), "--compression", "deflate");

        Assert.Equal("UNIMPLEMENTED", result.Code);
        Assert.Contains("deflate", result.Details, StringComparison.Ordinal);
        Assert.Null(server.Leaf.LastScoreRequest);
    }

    [Fact(Timeout = 60_000)]
    public async Task Health_FollowsReadiness()
    {
        await using var server = await StartAsync();

        var ready = await JsonAsync(["health", server.Authority, PythonInterop.MessagesDirectory]);
        server.Ready = false;
        var notReady = await JsonAsync(["health", server.Authority, PythonInterop.MessagesDirectory]);
        var unknown = await JsonAsync(["health", server.Authority, PythonInterop.MessagesDirectory, "--service", "arbor.v1.Nowhere"]);

        Assert.Equal("OK", ready.GetProperty("code").GetString());
        Assert.Equal("SERVING", ready.GetProperty("status").GetString());
        Assert.Equal("OK", notReady.GetProperty("code").GetString());
        Assert.Equal("NOT_SERVING", notReady.GetProperty("status").GetString());
        Assert.Equal("NOT_FOUND", unknown.GetProperty("code").GetString());
    }

    [Fact(Timeout = 60_000)]
    public async Task Reflection_ListsServicesAndDescribesLeaf()
    {
        await using var server = await StartAsync();

        var result = await JsonAsync(["reflection", server.Authority, PythonInterop.MessagesDirectory]);

        Assert.Equal("OK", result.GetProperty("code").GetString());
        var services = result.GetProperty("services").EnumerateArray().Select(s => s.GetString()).ToList();
        Assert.Contains("arbor.v1.Leaf", services);
        Assert.Contains("grpc.health.v1.Health", services);
        Assert.Contains("grpc.reflection.v1alpha.ServerReflection", services);
        var leaf = Assert.Single(result.GetProperty("files").EnumerateArray(), f => f.GetProperty("name").GetString() == "arbor/v1/leaf.proto");
        Assert.Equal("arbor.v1", leaf.GetProperty("package").GetString());
        Assert.Equal(Leaf.Descriptor.Methods.Select(m => m.Name), leaf.GetProperty("services").GetProperty("Leaf").EnumerateArray().Select(m => m.GetString()));
    }

    [Fact(Timeout = 120_000)]
    public async Task ManyCancelledCalls_TheConnectionSurvivesAndNothingIsLoggedAsAnError()
    {
        const int batches = 4;
        const int batchSize = 50; // under Kestrel's 100 streams per connection: every call reaches its handler
        await using var server = await StartAsync();
        using var process = PythonInterop.Start([PythonInterop.Script("interop_client.py"), "cancel", server.Authority, PythonInterop.MessagesDirectory,
            "--batches", batches.ToString(CultureInfo.InvariantCulture), "--batch-size", batchSize.ToString(CultureInfo.InvariantCulture)]);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        try
        {
            for (var batch = 0; batch < batches; batch++)
            {
                var line = await process.StandardOutput.ReadLineAsync(Ct);
                Assert.True(line == $"STARTED {batch}", $"interop_client.py said '{line}'");
                var expected = batchSize * (batch + 1);
                await Wait.UntilAsync(() => server.Leaf.WaitsStarted == expected, $"{expected} calls reached their handler");
                await process.StandardInput.WriteLineAsync("cancel".AsMemory(), Ct);
                await process.StandardInput.FlushAsync(Ct);
            }

            var output = await process.StandardOutput.ReadLineAsync(Ct);
            await process.WaitForExitAsync(Ct);
            Assert.True(process.ExitCode == 0, $"interop_client.py exited {process.ExitCode}: {await stderr}");
            using var json = JsonDocument.Parse(output ?? "{}");

            Assert.Equal(batches * batchSize, json.RootElement.GetProperty("cancelled").GetInt32());
            Assert.Equal(["OK", "OK", "OK", "OK", "OK"], json.RootElement.GetProperty("follow_up").EnumerateArray().Select(c => c.GetString()));
            await Wait.UntilAsync(() => server.Leaf.WaitsCancelled == batches * batchSize && server.Leaf.WaitsActive == 0, "every handler saw its cancellation");
            // One connection throughout: the server never aborted it (grpcio would have reconnected).
            Assert.Equal(1, server.Counters.Snapshot().ConnectionsOpened);
            Assert.Empty(server.Logs.Errors);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    private static Task<RpcTestServer> StartAsync() =>
        RpcTestServer.StartAsync(options => options.MaxReceiveMessageSize = ServerMaxReceive);

    private static async Task<(CallResult Result, ByteCountSnapshot Wire)> MeasuredAsync(RpcTestServer server, Func<Task<CallResult>> call)
    {
        var before = server.Counters.Snapshot();
        var result = await call();
        // The process has exited: once its connection is closed, everything it sent is counted.
        await Wait.UntilAsync(() => server.Counters.Snapshot().ConnectionsActive == 0, "the grpcio connection closed");
        return (result, server.Counters.Snapshot() - before);
    }

    private static async Task<CallResult> CallAsync(RpcTestServer server, string method, IMessage request, params string[] extra)
    {
        using var directory = new TempDirectory("arbor-interop-");
        var requestFile = directory.Combine("request.bin");
        await File.WriteAllBytesAsync(requestFile, request.ToByteArray(), Ct);
        var root = await JsonAsync(["call", server.Authority, method, requestFile, .. extra]);
        return new CallResult(
            root.GetProperty("code").GetString()!,
            root.GetProperty("details").GetString()!,
            Convert.FromBase64String(root.GetProperty("response").GetString()!));
    }

    private static async Task<JsonElement> JsonAsync(string[] arguments)
    {
        var output = await PythonInterop.RunAsync([PythonInterop.Script("interop_client.py"), .. arguments], TimeSpan.FromSeconds(60), Ct);
        using var json = JsonDocument.Parse(output);
        return json.RootElement.Clone();
    }

    private sealed record CallResult(string Code, string Details, byte[] Response);
}
