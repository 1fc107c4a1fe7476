namespace Arbor.Leaf.Tests.TestModels;

/// <summary>Inputs for the ctr test model covering defaults, broadcasting, missing rows and truncation.</summary>
public static class ScoringCases
{
    /// <summary>Every case; Python scores each one when the models are made.</summary>
    public static IReadOnlyList<ScoringCase> All { get; } =
    [
        // 0: everything per-row, nothing missing, id lists longer than max_length 3.
        new(3, [
            new CaseFeature("a", [0.25f, -1.5f, 3f], []),
            new CaseFeature("b", [1f, 2f, -0.125f], []),
            new CaseFeature("v", [new[] { 0.1f, 0.2f, 0.3f, 0.4f }, new[] { -1f, 0f, 1f, 2f }, new[] { 5f, 4f, 3f, 2f }], []),
            new CaseFeature("ids", [new long[] { 1, 2, 3, 4, 5 }, new long[] { 7 }, new long[] { 900, 901, 902, 903 }], []),
        ]),

        // 1: missing rows in every column; b and v absent entirely (defaults); ids shared.
        new(4, [
            new CaseFeature("a", [1f, 0f, 2f, 0f], [1, 3]),
            new CaseFeature("ids", [new long[] { 11, 12, 13, 14 }], [], Shared: true),
        ]),

        // 2: shared dense and vector, per-row ids with a missing row and an empty list.
        new(5, [
            new CaseFeature("a", [0.75f], [], Shared: true),
            new CaseFeature("b", [0f, 1f, 2f, 3f, 4f], [0]),
            new CaseFeature("v", [new[] { 1f, -1f, 0.5f, 0.25f }], [], Shared: true),
            new CaseFeature("ids", [new long[] { 5, 6 }, new long[] { 8, 8, 8, 8 }, Array.Empty<long>(), new long[] { 42 }, new long[] { 1, 2, 3 }], [1]),
        ]),

        // 3: one row, nothing at all (every default).
        new(1, []),
    ];
}
