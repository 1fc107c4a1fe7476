namespace Arbor.Leaf.Configuration;

/// <summary>What a model is to its partition; it sets whether the partition's readiness waits for it.</summary>
public enum ModelRole
{
    /// <summary>Serves production traffic: required for the partition to be ready unless configured otherwise.</summary>
    Production,

    /// <summary>An experiment: not required unless configured otherwise, so a broken one never takes the partition out of rotation.</summary>
    Experiment,
}
