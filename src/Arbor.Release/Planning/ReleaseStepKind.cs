namespace Arbor.Release.Planning;

/// <summary>What a release step does.</summary>
public enum ReleaseStepKind
{
    /// <summary>Writes bundles carrying both the current and the pending allowlists to an environment's roots.</summary>
    RootConfig,

    /// <summary>Publishes the pending model versions into an environment's model repository (its leaves load them).</summary>
    ModelConfig,

    /// <summary>Compares the canary's live metrics with production's against thresholds.</summary>
    CanaryAnalysis,

    /// <summary>Makes the pending versions the bundles' <c>latest</c> (exact allowlists) once leaves serve them.</summary>
    Finalize,
}
