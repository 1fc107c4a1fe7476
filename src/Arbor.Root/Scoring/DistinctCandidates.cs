using Arbor.Root.Configuration;
using Arbor.Root.Diagnostics;
using GrpcStatus = Grpc.Core.Status;
using RpcException = Grpc.Core.RpcException;
using RpcStatusCode = Grpc.Core.StatusCode;

namespace Arbor.Root.Scoring;

/// <summary>
/// The candidates a request scores: each id once. The one place repeated candidate ids are handled,
/// as <c>limits.duplicate_candidates</c> says: <c>reject</c> refuses the request (INVALID_ARGUMENT
/// naming the id); <c>score_once</c> scores the first entry of each id and answers every requested
/// entry, in request order, with its id's scores. Entries of one id that carry different client
/// features are not the same candidate: they are refused either way.
/// </summary>
public readonly struct DistinctCandidates
{
    /// <summary><c>limits.duplicate_candidates</c>: refuse a request that repeats a candidate id.</summary>
    public const string Reject = "reject";

    /// <summary><c>limits.duplicate_candidates</c>: score a repeated candidate id once.</summary>
    public const string ScoreOnce = "score_once";

    // Reused by the requests of one thread (the scan is synchronous): no table per request.
    [ThreadStatic]
    private static Dictionary<string, int>? t_firstRows;

    private readonly int[]? _rows;

    private DistinctCandidates(ScoreQuery scored, int[]? rows, IReadOnlyList<int>? entries)
    {
        Scored = scored;
        _rows = rows;
        Entries = entries;
    }

    /// <summary>The request to score: the request itself when no id repeats, else a copy holding the first entry of each id.</summary>
    public ScoreQuery Scored { get; }

    /// <summary>Per row of <see cref="Scored"/>, the index of the requested entry it is (what errors name); null when every row is its own entry.</summary>
    public IReadOnlyList<int>? Entries { get; }

    /// <summary>The row of <see cref="Scored"/> that answers requested entry <paramref name="requested"/>.</summary>
    public int RowOf(int requested) => _rows is null ? requested : _rows[requested];

    /// <summary>Finds repeated ids (counting them in <c>arbor.root.duplicate_candidates</c>) and applies <paramref name="limits"/>' setting.</summary>
    public static DistinctCandidates Of(ScoreQuery request, LimitsConfig limits, RootMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(metrics);
        var candidates = request.Ids;
        if (candidates.Count < 2)
        {
            return new DistinctCandidates(request, null, null);
        }

        var firstRows = t_firstRows ??= new Dictionary<string, int>(StringComparer.Ordinal);
        try
        {
            int[]? rows = null;
            var repeats = 0;
            var firstRepeat = -1;
            var conflict = -1;
            for (var i = 0; i < candidates.Count; i++)
            {
                if (!firstRows.TryAdd(candidates[i], i))
                {
                    repeats++;
                    var first = firstRows[candidates[i]];
                    firstRepeat = firstRepeat < 0 ? i : firstRepeat;
                    if (conflict < 0 && !request.SameFeatures(i, first))
                    {
                        conflict = i;
                    }

                    (rows ??= Identity(candidates.Count))[i] = -1 - first;
                }
            }

            if (repeats == 0)
            {
                return new DistinctCandidates(request, null, null);
            }

            var scoreOnce = string.Equals(limits.DuplicateCandidates, ScoreOnce, StringComparison.Ordinal);
            if (!scoreOnce || conflict >= 0)
            {
                metrics.RecordDuplicateCandidates("rejected", repeats);
                var at = scoreOnce ? conflict : firstRepeat;
                var id = ClientEcho.Quote(candidates[at], limits.MaxEchoChars);
                throw new RpcException(new GrpcStatus(RpcStatusCode.InvalidArgument, scoreOnce
                    ? $"candidates[{at}] repeats the id {id} of candidates[{firstRows[candidates[at]]}] with other features: a repeated candidate is scored once, so its entries must carry the same features"
                    : $"candidates[{at}] repeats the id {id} of candidates[{firstRows[candidates[at]]}] (limits.duplicate_candidates is reject)"));
            }

            metrics.RecordDuplicateCandidates("scored_once", repeats);
            var entries = new List<int>(candidates.Count - repeats);
            Distinct(rows!, entries);
            return new DistinctCandidates(request.Select(entries), rows, entries);
        }
        finally
        {
            firstRows.Clear();
        }
    }

    private static int[] Identity(int count)
    {
        var rows = new int[count];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = i;
        }

        return rows;
    }

    /// <summary>
    /// Each id's first entry, in order. On entry <paramref name="rows"/> holds each first entry's own
    /// index and, for a repeat, -1 minus its first entry's index; on return, each requested entry's
    /// row of the scored request. <paramref name="entries"/> gets each row's entry.
    /// </summary>
    private static void Distinct(int[] rows, List<int> entries)
    {
        for (var i = 0; i < rows.Length; i++)
        {
            if (rows[i] >= 0)
            {
                rows[i] = entries.Count;
                entries.Add(i);
            }
            else
            {
                // The first entry comes earlier, so its row is already set.
                rows[i] = rows[-1 - rows[i]];
            }
        }
    }
}
