using System.Globalization;
using System.Text;
using Arbor.Contracts.V1;

namespace Arbor.Cli.Bench;

/// <summary>What <see cref="ClientFeaturesBench"/> measured: client → root bytes both ways and score parity.</summary>
public sealed class ClientFeaturesReport
{
    public required string Scenario { get; init; }

    public required string Surface { get; init; }

    public required int Requests { get; init; }

    public required int CandidatesPerRequest { get; init; }

    /// <summary>Client-supplied features per candidate in the workload.</summary>
    public double ClientFeaturesPerCandidate { get; set; }

    public int ViewCandidateFeatures { get; set; }

    public int ViewContextFeatures { get; set; }

    /// <summary>Serialized request bytes as the caller built them (before any trimming).</summary>
    public long FullMessageBytes { get; set; }

    /// <summary>Socket bytes sent by the client (HTTP/2 framing included), requests as is.</summary>
    public long FullWireBytes { get; set; }

    /// <summary>Socket bytes sent by the trimming client (its view calls included).</summary>
    public long TrimmedWireBytes { get; set; }

    public long ViewFetches { get; set; }

    public long Resent { get; set; }

    /// <summary>Scores compared bit for bit.</summary>
    public long Compared { get; private set; }

    public long Mismatches { get; private set; }

    /// <summary>Model results that failed on either side.</summary>
    public long Failures { get; private set; }

    public void Compare(ScoreResponse asIs, ScoreResponse trimmed)
    {
        ArgumentNullException.ThrowIfNull(asIs);
        ArgumentNullException.ThrowIfNull(trimmed);
        var byModel = trimmed.Results.ToDictionary(r => r.Model, StringComparer.Ordinal);
        foreach (var expected in asIs.Results)
        {
            if (!byModel.TryGetValue(expected.Model, out var actual) || expected.Status.Code != 0 || actual.Status.Code != 0)
            {
                Failures++;
                continue;
            }

            for (var c = 0; c < expected.Candidates.Count; c++)
            {
                var e = expected.Candidates[c].Scores;
                var a = actual.Candidates[c].Scores;
                for (var s = 0; s < e.Count; s++)
                {
                    Compared++;
                    if (s >= a.Count || BitConverter.SingleToInt32Bits(e[s]) != BitConverter.SingleToInt32Bits(a[s]))
                    {
                        Mismatches++;
                    }
                }
            }
        }
    }

    public override string ToString()
    {
        var candidates = (double)Requests * CandidatesPerRequest;
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(string.Create(inv, $"client → root trimming, scenario '{Scenario}', surface '{Surface}': {Requests} requests × {CandidatesPerRequest} candidates, {ClientFeaturesPerCandidate:0.#} client features per candidate"));
        text.AppendLine(string.Create(inv, $"view: {ViewCandidateFeatures} candidate + {ViewContextFeatures} context features used by the surface's models; {ViewFetches} view calls, {Resent} resends"));
        text.AppendLine("| client → root | bytes/candidate (socket) | vs as is |");
        text.AppendLine("|---|---:|---:|");
        text.AppendLine(string.Create(inv, $"| as is | {FullWireBytes / candidates:N0} | baseline |"));
        text.AppendLine(string.Create(inv, $"| trimmed by the client | {TrimmedWireBytes / candidates:N0} | {(double)TrimmedWireBytes / FullWireBytes:0.000} |"));
        text.AppendLine(string.Create(inv, $"score parity: {(Compared - Mismatches) / (double)Math.Max(1, Compared):P2} of {Compared:N0} scores bit for bit; {Failures} failed model results"));
        return text.ToString();
    }
}
