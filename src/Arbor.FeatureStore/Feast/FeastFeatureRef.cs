namespace Arbor.FeatureStore.Feast;

/// <summary>A feature of a Feast feature view, written <c>view:feature</c> as Feast's feature references are.</summary>
public readonly record struct FeastFeatureRef(string View, string Feature)
{
    /// <summary>Parses <c>view:feature</c>; false unless both parts are non-empty.</summary>
    public static bool TryParse(string? text, out FeastFeatureRef reference)
    {
        reference = default;
        var colon = text?.IndexOf(':', StringComparison.Ordinal) ?? -1;
        if (colon <= 0 || colon == text!.Length - 1)
        {
            return false;
        }

        reference = new FeastFeatureRef(text[..colon], text[(colon + 1)..]);
        return true;
    }

    public override string ToString() => $"{View}:{Feature}";
}
