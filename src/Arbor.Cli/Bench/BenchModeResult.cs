namespace Arbor.Cli.Bench;

/// <summary>One mode's line of the report (written as snake_case JSON).</summary>
public sealed record BenchModeResult
{
    public required string Mode { get; init; }

    public required bool Trimming { get; init; }

    public required string Compression { get; init; }

    /// <summary>Requests that completed in the measured phase.</summary>
    public required long Requests { get; init; }

    public required long Candidates { get; init; }

    public required long Errors { get; init; }

    /// <summary>Requests still unanswered when the phase's drain time ran out (the system was overloaded at this offered load).</summary>
    public long Unfinished { get; init; }

    /// <summary>Bytes the root wrote on its leaf connections (after HTTP/2 framing and compression) per request candidate.</summary>
    public required double LeafInboundBytesPerCandidate { get; init; }

    /// <summary>The same per request (all of the request's model calls together).</summary>
    public required double LeafInboundBytesPerRequest { get; init; }

    /// <summary>
    /// Raw bytes of the feature values the root's leaf requests carried per candidate (4 a float, 8 an
    /// id, 4·dim a vector: no encoding, framing or headers); null for a root that does not report them.
    /// </summary>
    public double? ValueBytesPerCandidate { get; init; }

    /// <summary><see cref="LeafInboundBytesPerCandidate"/> over <see cref="ValueBytesPerCandidate"/>: what the wire adds to the values.</summary>
    public double? WireOverValues => ValueBytesPerCandidate is > 0 and { } values ? LeafInboundBytesPerCandidate / values : null;

    /// <summary>Leaf calls the root made per request (one per model; resends after a trim gap included, shadow pairs not).</summary>
    public double LeafCallsPerRequest { get; init; }

    /// <summary><see cref="LeafInboundBytesPerCandidate"/> over the untrimmed mode's.</summary>
    public double? BytesVsUntrimmed { get; init; }

    public required double RootCpuUsPerCandidate { get; init; }

    /// <summary>Null when leaves are shared by modes that ran at the same time (not attributable).</summary>
    public double? LeafCpuUsPerCandidate { get; init; }

    public required double P50Ms { get; init; }

    public required double P90Ms { get; init; }

    public required double P99Ms { get; init; }

    /// <summary>Candidates scored per second at the offered load.</summary>
    public required double CandidatesPerS { get; init; }

    /// <summary>Link mode: the most candidates per second the mode sustained (closed-loop ramp).</summary>
    public double? MaxCandidatesPerS { get; init; }

    public required long ScoresCompared { get; init; }

    public required long ScoreMismatches { get; init; }

    /// <summary>True when every response matched the baseline's bit for bit and nothing failed.</summary>
    public required bool ScoresMatch { get; init; }

    public string? FirstMismatch { get; init; }

    public string? FirstError { get; init; }
}
