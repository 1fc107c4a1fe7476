using Arbor.Contracts.V1;
using Arbor.Features.Requests;
using Grpc.Core;

namespace Arbor.Root.FanOut;

/// <summary>The outcome of one leaf call: a response, or the status that replaced it.</summary>
public sealed record LeafCallResult(
    LeafScoreResponse? Response,
    StatusCode Code,
    string Message,
    bool Trimmed,
    LeafRequestWriteResult Written,
    string? Replica);
