using System.Text.Json.Serialization;
using Arbor.Release.Planning;

namespace Arbor.Release.Journal;

/// <summary>A release in the journal: its plan, where it stands and what happened.</summary>
/// <param name="Plan">The plan, with every bundle it writes.</param>
/// <param name="Status">Where the release stands.</param>
/// <param name="Steps">One entry per plan step.</param>
/// <param name="History">Dated lines: steps applied, gates failed, rollback.</param>
public sealed record ReleaseRecord(ReleasePlan Plan, ReleaseStatus Status, IReadOnlyList<StepRecord> Steps, IReadOnlyList<string> History)
{
    public const string SchemaV1 = "arbor.release/v1";

    [JsonIgnore]
    public string Id => Plan.Id;

    /// <summary>A release that holds the environments: neither finished nor undone.</summary>
    [JsonIgnore]
    public bool IsOpen => Status is ReleaseStatus.Planned or ReleaseStatus.InProgress;

    public static ReleaseRecord New(ReleasePlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return new ReleaseRecord(plan, ReleaseStatus.Planned, [.. plan.Steps.Select(s => new StepRecord(s.Number, StepStatus.Pending, null, []))], []);
    }

    public StepRecord Step(int number) => Steps.Single(s => s.Number == number);

    /// <summary>The first step not yet applied; null when all are.</summary>
    [JsonIgnore]
    public ReleaseStep? NextStep => Plan.Steps.FirstOrDefault(s => Step(s.Number).Status != StepStatus.Applied);

    public ReleaseRecord WithStep(StepRecord step, string historyLine) => this with
    {
        Steps = [.. Steps.Select(s => s.Number == step.Number ? step : s)],
        History = [.. History, historyLine],
    };
}
