using System.Buffers;
using System.IO.Compression;
using Grpc.Net.Compression;

namespace Arbor.Rpc.Compression;

/// <summary>
/// Presents an <see cref="ICompressionCodec"/> to grpc-dotnet as an <see cref="ICompressionProvider"/>.
/// grpc-dotnet hands a whole message to the compression stream and copies a whole message out of
/// the decompression stream, so both streams work on the complete message: the compression stream
/// collects the writes and compresses them once when disposed; the decompression stream reads its
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

    /// <summary>Collects a message; compresses it into the destination when disposed.</summary>
    private sealed class CompressingStream : BufferWriterStream
    {
        private readonly ICompressionCodec _codec;
        private readonly Stream _destination;
        private readonly CompressionYield? _yield;
        private readonly PooledBuffer _message;
        private bool _disposed;

        public CompressingStream(ICompressionCodec codec, Stream destination, CompressionYield? yield)
            : this(codec, destination, yield, new PooledBuffer())
        {
        }

        private CompressingStream(ICompressionCodec codec, Stream destination, CompressionYield? yield, PooledBuffer message)
            : base(message)
        {
            _codec = codec;
            _destination = destination;
            _yield = yield;
            _message = message;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && !_disposed)
            {
                _disposed = true;
                using var compressed = new PooledBuffer();
                try
                {
                    _codec.Compress(_message.WrittenSpan, compressed);
                    _destination.Write(compressed.WrittenSpan);
                    _yield?.Observe(_message.WrittenCount, compressed.WrittenCount);
                }
                finally
                {
                    _message.Dispose();
                }
            }

            base.Dispose(disposing);
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
            var inflated = new PooledBuffer();
            try
            {
                codec.Decompress(compressed.WrittenMemory, inflated, maxDecompressedSize);
            }
            catch
            {
                inflated.Dispose();
                throw;
            }

            return _inflated = inflated;
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
