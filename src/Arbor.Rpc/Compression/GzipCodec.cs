using System.Buffers;
using System.IO.Compression;
using System.Runtime.InteropServices;

namespace Arbor.Rpc.Compression;

/// <summary>The <c>gzip</c> encoding (RFC 1952), through System.IO.Compression.</summary>
public sealed class GzipCodec(CompressionLevel level = CompressionLevel.Fastest) : ICompressionCodec
{
    /// <summary>The encoding name on the wire.</summary>
    public const string Name = "gzip";

    /// <inheritdoc />
    public string EncodingName => Name;

    /// <inheritdoc />
    public int Compress(ReadOnlySpan<byte> source, IBufferWriter<byte> destination)
    {
        var output = new BufferWriterStream(destination);
        using (var gzip = new GZipStream(output, level, leaveOpen: true))
        {
            gzip.Write(source);
        }

        return checked((int)output.Written);
    }

    /// <inheritdoc />
    public int Decompress(ReadOnlyMemory<byte> source, IBufferWriter<byte> destination, int maxDecompressedLength)
    {
        using var input = MemoryMarshal.TryGetArray(source, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(source.ToArray(), writable: false);
        using var gzip = new GZipStream(input, CompressionMode.Decompress);
        long total = 0;
        try
        {
            while (true)
            {
                var span = destination.GetSpan(16 * 1024);
                var read = gzip.Read(span);
                if (read == 0)
                {
                    return (int)total;
                }

                total += read;
                if (total > maxDecompressedLength)
                {
                    throw CompressionErrors.TooLarge(Name, total, maxDecompressedLength);
                }

                destination.Advance(read);
            }
        }
        catch (InvalidDataException e)
        {
            throw CompressionErrors.Corrupt(Name, e.Message);
        }
    }
}
