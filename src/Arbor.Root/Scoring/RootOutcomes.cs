using System.Diagnostics;
using Arbor.Root.Admission;
using Arbor.Root.Cache;
using Arbor.Root.Preprocessing;
using Arbor.Telemetry;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Arbor.Root.Scoring;

/// <summary>
/// The one place where a failed score request becomes the status its client sees, for gRPC and
/// JSON alike (JSON answers the same status as an HTTP status and body):
/// <list type="bullet">
/// <item>a status already chosen (an <see cref="RpcException"/>: bad input, unknown model, deadline) stays;</item>
/// <item>admission control refusing the request → RESOURCE_EXHAUSTED;</item>
/// <item>a client value the feature's type cannot take → INVALID_ARGUMENT, naming the feature;</item>
/// <item>the feature store not answering → UNAVAILABLE;</item>
/// <item>anything else is a bug → INTERNAL.</item>
/// </list>
/// A public API call without a valid API key never reaches the scorer: it is refused with
/// <see cref="Unauthenticated"/> (UNAUTHENTICATED, HTTP 401), a client error, before any work.
/// Server-side failures (UNAVAILABLE, INTERNAL) tell the client only a short message and a
/// correlation id (the request's trace id, also in the <c>arbor-correlation-id</c> trailer); what
/// happened, with addresses, paths and stack, goes to the log under that id.
/// </summary>
public static partial class RootOutcomes
{
    /// <summary>At most a few Warning lines per model per interval: a model that fails on every request would otherwise write one line per request.</summary>
    private static readonly LogLimiter ModelFailureLog = new();

    /// <summary>The trailer (gRPC) and body field (JSON) that carries the correlation id.</summary>
    public const string CorrelationTrailer = "arbor-correlation-id";

    private static readonly Status MissingCredential = new(
        StatusCode.Unauthenticated, $"an API key is required: send 'authorization: Bearer KEY' or '{Arbor.Rpc.Security.BearerTokenSet.ApiKeyHeader}: KEY'");

    private static readonly Status InvalidCredential = new(StatusCode.Unauthenticated, "the API key is not valid");

    /// <summary>The status of a call refused for its credential (the message never quotes what the client sent).</summary>
    public static Status Unauthenticated(Arbor.Rpc.Security.CredentialCheck check) =>
        check == Arbor.Rpc.Security.CredentialCheck.Missing ? MissingCredential : InvalidCredential;

    /// <summary>The exception the client's call ends with, for <paramref name="failure"/> (logged here when it is the server's).</summary>
    public static RpcException ToRpcException(Exception failure, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(failure);
        ArgumentNullException.ThrowIfNull(logger);
        switch (failure)
        {
            case RpcException rpc:
                return rpc;
            case AdmissionRejectedException rejected:
                return new RpcException(new Status(StatusCode.ResourceExhausted, rejected.Message));
            case FeatureValueException value:
                return new RpcException(new Status(StatusCode.InvalidArgument, value.Message));
            case FeatureStoreUnavailableException store:
                {
                    var id = CorrelationId();
                    LogStoreUnavailable(logger, id, store.Message, store.InnerException);
                    return WithCorrelation(StatusCode.Unavailable, "feature store unavailable", id);
                }

            default:
                {
                    var id = CorrelationId();
                    LogUnexpected(logger, id, failure);
                    return WithCorrelation(StatusCode.Internal, "internal error", id);
                }
        }
    }

    /// <summary>
    /// The message a client sees for one model's failure inside an answered request. A bug at the
    /// leaf or in the model (INTERNAL, UNKNOWN, DATA_LOSS: a forward that threw, with libtorch's
    /// text, file paths and all) becomes a short message and a correlation id, the leaf's text going
    /// to the log under that id; every other status keeps its message, which Arbor itself wrote.
    /// </summary>
    public static string ModelMessage(string model, StatusCode code, string message, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        if (code is not (StatusCode.Internal or StatusCode.Unknown or StatusCode.DataLoss))
        {
            return message;
        }

        var id = CorrelationId();
        if (ModelFailureLog.TryAcquire(model, out var heldBack))
        {
            LogModelFailed(logger, model, code, id, heldBack, message);
        }
        else
        {
            LogModelFailedHeldBack(logger, model, code, id, message);
        }

        return $"the model failed at the leaf (correlation id {id})";
    }

    /// <summary>The correlation id of a failure's trailers, or null.</summary>
    public static string? CorrelationOf(RpcException failure) => failure?.Trailers.GetValue(CorrelationTrailer);

    private static RpcException WithCorrelation(StatusCode code, string message, string id) =>
        new(new Status(code, $"{message} (correlation id {id})"), new Metadata { { CorrelationTrailer, id } });

    /// <summary>The request's trace id (what its logs and spans carry), or a new one outside a trace.</summary>
    private static string CorrelationId() => (Activity.Current?.TraceId ?? ActivityTraceId.CreateRandom()).ToHexString();

    [LoggerMessage(EventId = 2301, Level = LogLevel.Warning, Message = "Request failed, feature store unavailable (correlation id {CorrelationId}): {Detail}")]
    private static partial void LogStoreUnavailable(ILogger logger, string correlationId, string detail, Exception? exception);

    [LoggerMessage(EventId = 2303, Level = LogLevel.Warning, Message = "Model {Model} failed at the leaf with {Code} (correlation id {CorrelationId}; {HeldBack} more failures of this model held back at Debug level since the last line): {Detail}")]
    private static partial void LogModelFailed(ILogger logger, string model, StatusCode code, string correlationId, long heldBack, string detail);

    [LoggerMessage(EventId = 2304, Level = LogLevel.Debug, Message = "Model {Model} failed at the leaf with {Code} (correlation id {CorrelationId}): {Detail}")]
    private static partial void LogModelFailedHeldBack(ILogger logger, string model, StatusCode code, string correlationId, string detail);

    [LoggerMessage(EventId = 2302, Level = LogLevel.Error, Message = "Request failed with an unexpected error (correlation id {CorrelationId})")]
    private static partial void LogUnexpected(ILogger logger, string correlationId, Exception exception);
}
