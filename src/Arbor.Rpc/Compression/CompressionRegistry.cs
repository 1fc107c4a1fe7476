using System.Collections.Frozen;
using Grpc.Net.Compression;

namespace Arbor.Rpc.Compression;

/// <summary>
/// The set of encodings an endpoint can decompress and compress, by <c>grpc-encoding</c> name.
/// Immutable; <see cref="AcceptEncoding"/> is the <c>grpc-accept-encoding</c> value it advertises.
/// </summary>
public sealed class CompressionRegistry
{
    /// <summary>The name of "no compression".</summary>
    public const string IdentityEncoding = "identity";

    /// <summary>The largest message size either end accepts by default (16 MiB).</summary>
    public const int DefaultMaxMessageSize = 16 * 1024 * 1024;

    private readonly FrozenDictionary<string, ICompressionCodec> _codecs;

    /// <summary>Creates a registry of <paramref name="codecs"/> (identity is always implied).</summary>
    public CompressionRegistry(IEnumerable<ICompressionCodec> codecs)
    {
        ArgumentNullException.ThrowIfNull(codecs);
        var byName = new Dictionary<string, ICompressionCodec>(StringComparer.Ordinal);
        foreach (var codec in codecs)
        {
            if (codec.EncodingName == IdentityEncoding || !byName.TryAdd(codec.EncodingName, codec))
            {
                throw new ArgumentException($"Encoding '{codec.EncodingName}' is reserved or listed twice.", nameof(codecs));
            }
        }

        _codecs = byName.ToFrozenDictionary(StringComparer.Ordinal);
        AcceptEncoding = string.Join(',', [IdentityEncoding, .. byName.Keys]);
    }

    /// <summary>
    /// identity, gzip, and lz4 and zstd where their native libraries load (they are always present
    /// on Arbor's Debian machines; a machine without them simply does not advertise them).
    /// </summary>
    public static CompressionRegistry Default { get; } = new(DefaultCodecs());

    /// <summary>A registry that only knows identity.</summary>
    public static CompressionRegistry IdentityOnly { get; } = new([]);

    /// <summary>The <c>grpc-accept-encoding</c> value: identity and every codec, comma-separated.</summary>
    public string AcceptEncoding { get; }

    /// <summary>The codecs, by name.</summary>
    public IReadOnlyDictionary<string, ICompressionCodec> Codecs => _codecs;

    /// <summary>Finds the codec for an encoding name; identity and unknown names give false.</summary>
    public bool TryGet(string? encoding, out ICompressionCodec codec)
    {
        if (encoding is null)
        {
            codec = null!;
            return false;
        }

        return _codecs.TryGetValue(encoding, out codec!);
    }

    /// <summary>Whether the encoding can be used here (identity always can).</summary>
    public bool Supports(string? encoding) =>
        string.IsNullOrEmpty(encoding) || encoding == IdentityEncoding || _codecs.ContainsKey(encoding);

    /// <summary>
    /// The codecs as grpc-dotnet compression providers, each refusing to inflate a message past
    /// <paramref name="maxDecompressedSize"/> bytes (RESOURCE_EXHAUSTED) and reporting corrupt
    /// payloads as INTERNAL.
    /// </summary>
    /// <param name="maxDecompressedSize">The largest message a provider inflates.</param>
    /// <param name="yields">Per encoding name, where the sizes of the messages it compresses go (a client channel's); null: nowhere.</param>
    public IList<ICompressionProvider> Providers(int maxDecompressedSize, IReadOnlyDictionary<string, CompressionYield>? yields = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxDecompressedSize);
        return [.. _codecs.Values.Select(codec => (ICompressionProvider)new CodecCompressionProvider(codec, maxDecompressedSize, yields?.GetValueOrDefault(codec.EncodingName)))];
    }

    private static IEnumerable<ICompressionCodec> DefaultCodecs()
    {
        yield return new GzipCodec();
        if (Lz4Codec.IsAvailable)
        {
            yield return new Lz4Codec();
        }

        if (ZstdCodec.IsAvailable)
        {
            yield return new ZstdCodec();
        }
    }
}
