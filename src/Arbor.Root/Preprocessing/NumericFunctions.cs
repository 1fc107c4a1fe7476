namespace Arbor.Root.Preprocessing;

/// <summary>Numeric helpers whose results must be identical on every root and to the reference preprocessing.</summary>
public static class NumericFunctions
{
    /// <summary>
    /// ln(1 + x) computed as <c>Math.Log(1.0 + x)</c> in double, exactly as the reference
    /// (models/arbor_models/transforms.py) and docs/feature-registry.md define it: models were
    /// trained on these values, so the more accurate log1p would change scores. NaN for x &lt; -1.
    /// </summary>
    public static double Log1p(double x) => Math.Log(1.0 + x);
}
