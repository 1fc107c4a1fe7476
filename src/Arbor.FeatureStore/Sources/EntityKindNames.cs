namespace Arbor.FeatureStore.Sources;

/// <summary>The text form of <see cref="EntityKind"/> used in the stores and the JSONL format.</summary>
public static class EntityKindNames
{
    public const string User = "user";
    public const string Candidate = "candidate";

    public static string ToName(this EntityKind kind) => kind switch
    {
        EntityKind.User => User,
        EntityKind.Candidate => Candidate,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown entity kind."),
    };

    public static bool TryParse(string? text, out EntityKind kind)
    {
        switch (text)
        {
            case User:
                kind = EntityKind.User;
                return true;
            case Candidate:
                kind = EntityKind.Candidate;
                return true;
            default:
                kind = default;
                return false;
        }
    }
}
