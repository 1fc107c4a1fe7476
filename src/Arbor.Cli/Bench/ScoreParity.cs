using Arbor.Contracts.V1;

namespace Arbor.Cli.Bench;

/// <summary>Bitwise comparison of two responses to the same request: same models, versions, candidates and score bits.</summary>
public static class ScoreParity
{
    /// <summary>Null when <paramref name="actual"/> carries exactly the scores of <paramref name="expected"/>; otherwise the first difference.</summary>
    public static string? FirstDifference(ScoreResponse expected, ScoreResponse actual)
    {
        if (expected.Results.Count != actual.Results.Count)
        {
            return $"{actual.Results.Count} model results instead of {expected.Results.Count}";
        }

        for (var m = 0; m < expected.Results.Count; m++)
        {
            var e = expected.Results[m];
            var a = actual.Results[m];
            if (e.Model != a.Model || e.Version != a.Version)
            {
                return $"result {m} is {a.Model}/{a.Version} instead of {e.Model}/{e.Version}";
            }

            if ((a.Status?.Code ?? 0) != 0 || (e.Status?.Code ?? 0) != 0)
            {
                return $"{a.Model}: status {a.Status?.Code ?? 0} ({a.Status?.Message}) vs {e.Status?.Code ?? 0} ({e.Status?.Message})";
            }

            if (e.Candidates.Count != a.Candidates.Count)
            {
                return $"{a.Model}: {a.Candidates.Count} candidates instead of {e.Candidates.Count}";
            }

            for (var c = 0; c < e.Candidates.Count; c++)
            {
                var ec = e.Candidates[c];
                var ac = a.Candidates[c];
                if (ec.Id != ac.Id || ec.Scores.Count != ac.Scores.Count)
                {
                    return $"{a.Model}: candidate {c} is {ac.Id} with {ac.Scores.Count} scores instead of {ec.Id} with {ec.Scores.Count}";
                }

                for (var s = 0; s < ec.Scores.Count; s++)
                {
                    if (BitConverter.SingleToInt32Bits(ec.Scores[s]) != BitConverter.SingleToInt32Bits(ac.Scores[s]))
                    {
                        return $"{a.Model}: candidate {ac.Id} output {s} is {ac.Scores[s]:R} instead of {ec.Scores[s]:R}";
                    }
                }
            }
        }

        return null;
    }
}
