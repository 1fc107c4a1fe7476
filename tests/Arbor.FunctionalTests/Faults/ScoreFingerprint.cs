using System.Globalization;
using Arbor.Contracts.V1;

namespace Arbor.FunctionalTests.Faults;

/// <summary>A response's scores as text, bit for bit (float bits, not rounded values), for exact comparison.</summary>
public static class ScoreFingerprint
{
    public static List<string> Of(ScoreResponse response) =>
        [.. response.Results.Select(r => r.Model + "#" + r.Status.Code + ":" + string.Join(";", r.Candidates.Select(c => c.Id + "=" + string.Join(",", c.Scores.Select(s => BitConverter.SingleToInt32Bits(s).ToString(CultureInfo.InvariantCulture))))))];
}
