using System.Buffers;
using System.IO.Compression;
using Grpc.Net.Compression;

namespace Arbor.Rpc.Compression;

/// <summary>
/// Presents an <see cref="ICompressionCodec"/> to grpc-dotnet as an <see cref="ICompressionProvider"/>.
/// grpc-dotnet hands a whole message to the compression stream and copies a whole message out of
/// the decompression stream, so both streams work on the complete message: the compression stream
/// compresses the message once, from the caller's write; the decompression stream reads its
/// input once and decompresses it in one call, which checks the size limit before inflating
/// (grpc-dotnet itself applies its receive limit only to the compressed frame).
/// </summary>
/// <param name="codec">The codec.</param>
/// <param name="maxDecompressedSize">The largest message it inflates.</param>
/// <param name="yield">Where each compressed message's sizes go (a client channel's); null: nowhere.</param>
internal sealed class CodecCompressionProvider(ICompressionCodec codec, int maxDecompressedSize, CompressionYield? yield = null) : ICompressionProvider
{
    public string EncodingName => codec.EncodingName;

    public ICompressionCodec Codec => codec;

    public Stream CreateCompressionStream(Stream stream, CompressionLevel? compressionLevel) => new CompressingStream(codec, stream, yield);

    public Stream CreateDecompressionStream(Stream stream) => new DecompressingStream(codec, stream, maxDecompressedSize);

    /// <summary>
    /// Compresses a message into the destination when disposed. grpc-dotnet writes the whole
    /// message in one call: that write is compressed at once, from the caller's bytes, so the message
    /// is not copied first. Should a second write follow, the compressed bytes are inflated back and
    /// the writes collected, to be compressed together.
    /// </summary>
    private sealed class CompressingStream(ICompressionCodec codec, Stream destination, CompressionYield? yield) : WriteOnlyStream
    {
        // The message's writes so far, when there were several; null while there was at most one.
        private PooledBuffer? _message;

        // The one write so far, compressed, and its length.
        private PooledBuffer? _compressed;
        private int _compressedFrom;
        private bool _failed;
        private bool _disposed;

        public override bool CanWrite => !_disposed;

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_failed)
            {
                throw new InvalidOperationException("An earlier write to this compression stream failed.");
            }

            // Until this write is taken: a write that throws leaves nothing to write out, so
            // disposing the stream then writes nothing.
            _failed = true;
            if (_message is null && _compressed is null)
            {
                _compressed = Compress(buffer);
                _compressedFrom = buffer.Length;
            }
            else
            {
                if (_compressed is { } compressed)
                {
                    _compressed = null;
                    using (compressed)
                    {
                        _message = Decompressed(codec, compressed.WrittenMemory, _compressedFrom);
                    }
                }

                _message!.Write(buffer);
            }

            _failed = false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && !_disposed)
            {
                _disposed = true;
                var (message, compressed, from) = (_message, _compressed, _compressedFrom);
                (_message, _compressed) = (null, null);
                try
                {
                    if (!_failed)
                    {
                        if (compressed is null)
                        {
                            from = message?.WrittenCount ?? 0;
                            compressed = Compress(message is null ? [] : message.WrittenSpan);
                        }

                        destination.Write(compressed.WrittenSpan);
                        yield?.Observe(from, compressed.WrittenCount);
                    }
                }
                finally
                {
                    message?.Dispose();
                    compressed?.Dispose();
                }
            }

            base.Dispose(disposing);
        }

        private PooledBuffer Compress(ReadOnlySpan<byte> message)
        {
            var compressed = new PooledBuffer();
            try
            {
                codec.Compress(message, compressed);
                return compressed;
            }
            catch
            {
                compressed.Dispose();
                throw;
            }
        }
    }

    /// <summary>Reads the whole compressed message on first use, then serves the inflated bytes.</summary>
    private sealed class DecompressingStream(ICompressionCodec codec, Stream source, int maxDecompressedSize) : Stream
    {
        private PooledBuffer? _inflated;
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var inflated = Inflate();
            var available = inflated.WrittenSpan[_position..];
            var count = Math.Min(available.Length, buffer.Length);
            available[..count].CopyTo(buffer);
            _position += count;
            return count;
        }

        public override void CopyTo(Stream destination, int bufferSize)
        {
            var inflated = Inflate();
            destination.Write(inflated.WrittenSpan[_position..]);
            _position = inflated.WrittenCount;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inflated?.Dispose();
                _inflated = null;
            }

            base.Dispose(disposing);
        }

        private PooledBuffer Inflate()
        {
            if (_inflated is { } done)
            {
                return done;
            }

            using var compressed = new PooledBuffer();
            source.CopyTo(new BufferWriterStream(compressed));
            return _inflated = Decompressed(codec, compressed.WrittenMemory, maxDecompressedSize);
        }
    }

    /// <summary>
    /// <paramref name="compressed"/> decompressed into a new pooled buffer, refused past
    /// <paramref name="maxLength"/> bytes; the buffer goes back to the pool when decompression fails.
    /// </summary>
    private static PooledBuffer Decompressed(ICompressionCodec codec, ReadOnlyMemory<byte> compressed, int maxLength)
    {
        var inflated = new PooledBuffer();
        try
        {
            codec.Decompress(compressed, inflated, maxLength);
            return inflated;
        }
        catch
        {
            inflated.Dispose();
            throw;
        }
    }

    /// <summary>A growable buffer on pooled arrays.</summary>
    private sealed class PooledBuffer : IBufferWriter<byte>, IDisposable
    {
        private byte[] _array = [];

        public int WrittenCount { get; private set; }

        public ReadOnlySpan<byte> WrittenSpan => _array.AsSpan(0, WrittenCount);

        public ReadOnlyMemory<byte> WrittenMemory => _array.AsMemory(0, WrittenCount);

        public void Advance(int count) => WrittenCount += count;

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            Ensure(sizeHint);
            return _array.AsMemory(WrittenCount);
        }

        public Span<byte> GetSpan(int sizeHint = 0)
        {
            Ensure(sizeHint);
            return _array.AsSpan(WrittenCount);
        }

        public void Write(ReadOnlySpan<byte> data)
        {
            data.CopyTo(GetSpan(data.Length));
            Advance(data.Length);
        }

        public void Dispose()
        {
            if (_array.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_array);
                _array = [];
            }
        }

        private void Ensure(int sizeHint)
        {
            var needed = WrittenCount + Math.Max(sizeHint, 1);
            if (needed <= _array.Length)
            {
                return;
            }

            var next = ArrayPool<byte>.Shared.Rent(Math.Max(needed, Math.Max(4096, _array.Length * 2)));
            _array.AsSpan(0, WrittenCount).CopyTo(next);
            if (_array.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_array);
            }

            _array = next;
        }
    }
}
