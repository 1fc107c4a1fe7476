namespace Arbor.Rpc.Compression;

/// <summary>
/// What one codec saves on one channel's requests: a moving ratio of compressed to uncompressed
/// bytes, fed by every message the codec compresses there. A channel asked to compress only when it
/// saves at least a given share (<see cref="Client.RpcCallOptions.MinCompressionSaving"/>) asks it
/// before each call: while the recent saving is smaller, calls go uncompressed, except every
/// <see cref="ProbeInterval"/>th, which compresses to keep the ratio current, so that compression
/// resumes by itself once the data compresses better.
/// </summary>
/// <remarks>
/// The ratio is an exponentially weighted mean (weight <see cref="Weight"/> for each new message).
/// Concurrent updates may lose one another's sample; an estimate needs no more.
/// </remarks>
public sealed class CompressionYield
{
    /// <summary>While compression is skipped, one call in this many compresses, as a probe.</summary>
    public const int ProbeInterval = 32;

    /// <summary>The weight of each new message in the moving ratio.</summary>
    public const double Weight = 0.125;

    // NaN until the first message: a codec with no sample is always used.
    private double _ratio = double.NaN;
    private int _skipped;

    /// <summary>The moving compressed/uncompressed ratio; NaN before the first compressed message.</summary>
    public double Ratio => Volatile.Read(ref _ratio);

    /// <summary>Records one message: <paramref name="uncompressed"/> bytes in, <paramref name="compressed"/> out.</summary>
    public void Observe(long uncompressed, long compressed)
    {
        if (uncompressed <= 0)
        {
            return;
        }

        var ratio = (double)compressed / uncompressed;
        var previous = Volatile.Read(ref _ratio);
        Volatile.Write(ref _ratio, double.IsNaN(previous) ? ratio : previous + (Weight * (ratio - previous)));
    }

    /// <summary>Whether the next call compresses when it must save at least <paramref name="minSaving"/> (0 to 1) of its bytes.</summary>
    public CompressionDecision Decide(double minSaving)
    {
        var ratio = Ratio;
        if (minSaving <= 0 || double.IsNaN(ratio) || 1 - ratio >= minSaving)
        {
            return CompressionDecision.Compress;
        }

        return Interlocked.Increment(ref _skipped) % ProbeInterval == 0 ? CompressionDecision.Probe : CompressionDecision.Skip;
    }
}

/// <summary>What a channel does with a call whose encoding saves too little (<see cref="CompressionYield.Decide"/>).</summary>
public enum CompressionDecision
{
    /// <summary>Compress: the codec saves enough, or has not been measured yet.</summary>
    Compress,

    /// <summary>Compress although it saves too little, to measure it again.</summary>
    Probe,

    /// <summary>Send uncompressed: the codec's recent saving is below the minimum.</summary>
    Skip,
}
