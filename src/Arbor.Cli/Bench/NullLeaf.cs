using System.Buffers;
using System.CommandLine;
using System.Net;
using System.Text;
using Arbor.Contracts.V1;
using Arbor.Rpc.Marshalling;
using Arbor.Rpc.Server;
using Arbor.Signatures.Bundles;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Arbor.Cli.Bench;

/// <summary>
/// <c>arbor bench null-leaf</c>: a leaf partition that answers every <c>arbor.v1.Leaf/Score</c> and
/// <c>ScoreUnion</c> call with valid scores (one output, one score per row, the model's latest
/// version from the partition manifest) without decoding the columns or running a model, so a root
/// measured against it is the only process doing real work: the bench's saturation mode uses it to
/// find the root's own limit.
/// </summary>
/// <remarks>
/// The request is scanned, not parsed: only the model, version and row count are read; the columns
/// are skipped by their length prefixes. Every score is 0.5, in every mode, so score parity holds
/// trivially and says nothing (the bench reports parity only against real leaves).
/// </remarks>
public static class NullLeaf
{
    public const string Output = "p_null";

    public static Command Create()
    {
        var manifest = new Option<string>("--manifest") { Description = "The partition manifest (partitions.json) naming the models and versions.", Required = true };
        var partition = new Option<string>("--partition") { Description = "The partition to serve.", Required = true };
        var grpc = new Option<string>("--grpc") { Description = "gRPC listen address (host:port).", Required = true };
        var http = new Option<string>("--http") { Description = "HTTP listen address for /readyz (host:port).", Required = true };
        var command = new Command("null-leaf", "A leaf that answers valid scores without inference (for root benchmarks).")
        {
            manifest, partition, grpc, http,
        };
        command.Hidden = true;
        command.SetAction(async (ParseResult result, CancellationToken cancellationToken) =>
        {
            var partitions = PartitionManifestJson.ReadFile(result.GetValue(manifest)!);
            if (!partitions.Partitions.TryGetValue(result.GetValue(partition)!, out var served))
            {
                await Console.Error.WriteLineAsync($"null-leaf: the manifest has no partition '{result.GetValue(partition)}'");
                return 2;
            }

            var latest = served.Models.ToDictionary(
                m => m,
                m => served.Versions.TryGetValue(m, out var versions) && versions.Count > 0
                    ? versions.OrderBy(v => long.TryParse(v, out var n) ? n : long.MaxValue).ThenBy(v => v, StringComparer.Ordinal).Last()
                    : "1",
                StringComparer.Ordinal);
            await RunAsync(latest, IPEndPoint.Parse(result.GetValue(grpc)!), IPEndPoint.Parse(result.GetValue(http)!), cancellationToken);
            return 0;
        });
        return command;
    }

    private static async Task RunAsync(IReadOnlyDictionary<string, string> latest, IPEndPoint grpc, IPEndPoint http, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddArborGrpc();
        builder.Services.AddSingleton(new NullLeafService(latest));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.ListenRpc(grpc);
            kestrel.Listen(http);
        });
        await using var app = builder.Build();
        app.MapGrpcService<NullLeafService>();
        app.MapGet("/readyz", () => Results.Text("ready"));
        await app.StartAsync(cancellationToken);
        await app.WaitForShutdownAsync(cancellationToken);
    }

    /// <summary>What the null leaf reads of a score request.</summary>
    public sealed record ScoreHeader(string Model, string Version, uint RowCount, string RequestId);

    /// <summary>What the null leaf reads of a union score request: each model's name and version, in request order, and the row count.</summary>
    public sealed record UnionHeader(IReadOnlyList<(string Model, string Version)> Models, uint RowCount);

    /// <summary>Reads fields 1 (model), 2 (version), 3 (row_count) and 6 (request_id) of a <c>LeafScoreRequest</c>, skipping the rest.</summary>
    public static ScoreHeader ScanRequest(ReadOnlySequence<byte> payload)
    {
        var fields = new FieldReader(payload);
        string model = "", version = "", requestId = "";
        uint rows = 0;
        while (fields.Next(out var field, out var value, out var bytes))
        {
            switch (field)
            {
                case 1 when !bytes.IsEmpty:
                    model = Encoding.UTF8.GetString(bytes);
                    break;
                case 2 when !bytes.IsEmpty:
                    version = Encoding.UTF8.GetString(bytes);
                    break;
                case 3:
                    rows = (uint)value;
                    break;
                case 6 when !bytes.IsEmpty:
                    requestId = Encoding.UTF8.GetString(bytes);
                    break;
            }
        }

        return new ScoreHeader(model, version, rows, requestId);
    }

    /// <summary>Reads fields 3 (row_count) and 9 (models: each one's fields 1, model, and 2, version) of a <c>LeafUnionScoreRequest</c>, skipping the rest.</summary>
    public static UnionHeader ScanUnionRequest(ReadOnlySequence<byte> payload)
    {
        var fields = new FieldReader(payload);
        var models = new List<(string, string)>();
        uint rows = 0;
        while (fields.Next(out var field, out var value, out var bytes))
        {
            if (field == 3)
            {
                rows = (uint)value;
            }
            else if (field == 9)
            {
                var entry = ScanRequest(bytes);
                models.Add((entry.Model, entry.Version));
            }
        }

        return new UnionHeader(models, rows);
    }

    /// <summary>
    /// The top-level fields of a protobuf message, one at a time: a varint field's value, a
    /// length-delimited field's bytes (without copying them); fixed-width fields come with neither.
    /// </summary>
    private ref struct FieldReader(ReadOnlySequence<byte> payload)
    {
        private SequenceReader<byte> _reader = new(payload);

        public bool Next(out ulong field, out ulong value, out ReadOnlySequence<byte> bytes)
        {
            value = 0;
            bytes = ReadOnlySequence<byte>.Empty;
            if (_reader.End)
            {
                field = 0;
                return false;
            }

            var tag = ReadVarint();
            field = tag >> 3;
            switch ((int)(tag & 7))
            {
                case 0:
                    value = ReadVarint();
                    break;
                case 1:
                    Skip(8);
                    break;
                case 2:
                    var length = (long)ReadVarint();
                    if (_reader.Remaining < length)
                    {
                        throw new InvalidDataException($"the request ends inside field {field}");
                    }

                    bytes = _reader.UnreadSequence.Slice(0, length);
                    _reader.Advance(length);
                    break;
                case 5:
                    Skip(4);
                    break;
                default:
                    throw new InvalidDataException($"unsupported wire type in field {field}");
            }

            return true;
        }

        private ulong ReadVarint()
        {
            ulong result = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (!_reader.TryRead(out var b))
                {
                    throw new InvalidDataException("the request ends inside a number");
                }

                result |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0)
                {
                    return result;
                }
            }

            throw new InvalidDataException("a number longer than 10 bytes");
        }

        private void Skip(long count)
        {
            if (_reader.Remaining < count)
            {
                throw new InvalidDataException("the request ends inside a field");
            }

            _reader.Advance(count);
        }
    }

    internal static readonly Method<ScoreHeader, LeafScoreResponse> ScoreMethod =
        new(MethodType.Unary, "arbor.v1.Leaf", "Score", Scanning(ScanRequest), ProtobufMarshaller.Create(LeafScoreResponse.Parser));

    internal static readonly Method<UnionHeader, LeafUnionScoreResponse> ScoreUnionMethod =
        new(MethodType.Unary, "arbor.v1.Leaf", "ScoreUnion", Scanning(ScanUnionRequest), ProtobufMarshaller.Create(LeafUnionScoreResponse.Parser));

    /// <summary>A request marshaller that scans the request's bytes for what the null leaf reads.</summary>
    private static Marshaller<T> Scanning<T>(Func<ReadOnlySequence<byte>, T> scan) => new(
        static (_, _) => throw new NotSupportedException("the null leaf only receives score requests"),
        context => scan(context.PayloadAsReadOnlySequence()));

    /// <summary>
    /// The service behind <c>arbor.v1.Leaf/Score</c>, bound the way generated code binds it (grpc-dotnet
    /// finds the handler as a virtual method declared on the bound type, hence not sealed).
    /// </summary>
    [BindServiceMethod(typeof(NullLeafService), nameof(BindService))]
    public class NullLeafService(IReadOnlyDictionary<string, string> latest)
    {
        public static void BindService(ServiceBinderBase binder, NullLeafService? service)
        {
            binder.AddMethod(ScoreMethod, service is null ? null : service.Score);
            binder.AddMethod(ScoreUnionMethod, service is null ? null : service.ScoreUnion);
        }

        public virtual Task<LeafScoreResponse> Score(ScoreHeader request, ServerCallContext context)
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var response = Scores(request.Model, request.Version, request.RowCount)
                ?? throw new RpcException(new Grpc.Core.Status(StatusCode.NotFound, NotServed(request.Model)));
            response.LeafTimeUs = Arbor.Leaf.Service.LeafGrpcService.MicrosecondsSince(started);
            return Task.FromResult(response);
        }

        /// <summary>Each model of the union call scored as its own Score call would be; a model the partition does not serve fails alone (NOT_FOUND).</summary>
        public virtual Task<LeafUnionScoreResponse> ScoreUnion(UnionHeader request, ServerCallContext context)
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var response = new LeafUnionScoreResponse();
            foreach (var (model, version) in request.Models)
            {
                response.Results.Add(Scores(model, version, request.RowCount) is { } scored
                    ? new LeafUnionResult { Response = scored }
                    : new LeafUnionResult { Status = new Arbor.Contracts.V1.Status { Code = (int)StatusCode.NotFound, Message = NotServed(model) } });
            }

            response.LeafTimeUs = Arbor.Leaf.Service.LeafGrpcService.MicrosecondsSince(started);
            return Task.FromResult(response);
        }

        private LeafScoreResponse? Scores(string model, string version, uint rows)
        {
            if (!latest.TryGetValue(model, out var newest))
            {
                return null;
            }

            var response = new LeafScoreResponse
            {
                Model = model,
                Version = version.Length > 0 ? version : newest,
                RowCount = rows,
                Outputs = { Output },
            };
            var scores = new float[rows];
            Array.Fill(scores, 0.5f);
            response.Scores.AddRange(scores);
            return response;
        }

        private static string NotServed(string model) => $"model '{model}' is not served by this partition";
    }
}
