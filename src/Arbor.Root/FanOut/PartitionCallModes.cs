namespace Arbor.Root.FanOut;

/// <summary>The names of <see cref="PartitionCallMode"/> in the root's configuration.</summary>
public static class PartitionCallModes
{
    public const string PerModel = "per_model";
    public const string Union = "union";
    public const string Auto = "auto";

    public static bool TryParse(string? name, out PartitionCallMode mode)
    {
        mode = name switch
        {
            PerModel => PartitionCallMode.PerModel,
            Union => PartitionCallMode.Union,
            Auto => PartitionCallMode.Auto,
            _ => (PartitionCallMode)(-1),
        };
        return mode >= 0;
    }

    /// <summary>The mode a validated configuration names.</summary>
    public static PartitionCallMode Parse(string name) =>
        TryParse(name, out var mode) ? mode : throw new ArgumentException($"unknown partition call mode '{name}' ({PerModel}, {Union}, {Auto})", nameof(name));
}
