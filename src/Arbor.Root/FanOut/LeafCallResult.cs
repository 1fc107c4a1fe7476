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
    string? Replica)
{
    /// <summary>How long the answering call took (send to answer); zero when no leaf answered.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>The version a failed call reached, as its leaf said (a response carries its own); null when unknown.</summary>
    public string? FailedVersion { get; init; }
}
