namespace Arbor.Root.Preprocessing;

/// <summary>Numeric helpers whose results must be identical on every root.</summary>
public static class NumericFunctions
{
    /// <summary>
    /// ln(1 + x), accurate for small x (plain <c>Math.Log(1 + x)</c> loses the low bits of x), built
    /// only from IEEE-754 basic operations and <see cref="Math.Log(double)"/>. NaN for x &lt; -1.
    /// </summary>
    public static double Log1p(double x)
    {
        // Goldberg's trick: the rounding error of u = 1 + x cancels in x / (u - 1).
        var u = 1.0 + x;
        if (u == 1.0)
        {
            return x;
        }

        if (double.IsPositiveInfinity(u))
        {
            return u;
        }

        return Math.Log(u) * x / (u - 1.0);
    }
}
