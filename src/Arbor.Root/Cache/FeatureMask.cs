namespace Arbor.Root.Cache;

/// <summary>Bit sets over catalog slots (one bit per feature), as plain <c>ulong[]</c> words.</summary>
internal static class FeatureMask
{
    public static ulong[] FromSlots(ReadOnlySpan<int> slots)
    {
        var max = -1;
        foreach (var slot in slots)
        {
            max = Math.Max(max, slot);
        }

        var mask = new ulong[(max + 64) / 64];
        foreach (var slot in slots)
        {
            mask[slot >> 6] |= 1UL << (slot & 63);
        }

        return mask;
    }

    /// <summary>True when every bit of <paramref name="required"/> is set in <paramref name="have"/>.</summary>
    public static bool Covers(ulong[] have, ulong[] required)
    {
        for (var i = 0; i < required.Length; i++)
        {
            var word = i < have.Length ? have[i] : 0;
            if ((word & required[i]) != required[i])
            {
                return false;
            }
        }

        return true;
    }

    public static ulong[] Union(ulong[] a, ulong[] b)
    {
        var union = new ulong[Math.Max(a.Length, b.Length)];
        for (var i = 0; i < union.Length; i++)
        {
            union[i] = (i < a.Length ? a[i] : 0) | (i < b.Length ? b[i] : 0);
        }

        return union;
    }

    /// <summary>The bits of <paramref name="required"/> missing from <paramref name="have"/>.</summary>
    public static ulong[] Except(ulong[] required, ulong[] have)
    {
        var missing = new ulong[required.Length];
        for (var i = 0; i < missing.Length; i++)
        {
            missing[i] = required[i] & ~(i < have.Length ? have[i] : 0);
        }

        return missing;
    }

    public static bool IsEmpty(ulong[] mask)
    {
        foreach (var word in mask)
        {
            if (word != 0)
            {
                return false;
            }
        }

        return true;
    }

    public static IEnumerable<int> Slots(ulong[] mask)
    {
        for (var i = 0; i < mask.Length; i++)
        {
            var word = mask[i];
            while (word != 0)
            {
                var bit = System.Numerics.BitOperations.TrailingZeroCount(word);
                yield return (i * 64) + bit;
                word &= word - 1;
            }
        }
    }
}
