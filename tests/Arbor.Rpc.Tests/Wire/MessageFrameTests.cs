using System.Buffers;
using Arbor.Rpc.Status;
using Arbor.Rpc.Wire;

namespace Arbor.Rpc.Tests.Wire;

public sealed class MessageFrameTests
{
    [Fact]
    public void WriteHeader_IsTheFlagThenBigEndianLength()
    {
        var header = new byte[5];
        MessageFrame.WriteHeader(header, compressed: true, 0x01020304);
        Assert.Equal(new byte[] { 1, 1, 2, 3, 4 }, header);
    }

    [Fact]
    public void TryReadHeader_SplitAcrossSegments_ParsesTheHeader()
    {
        var first = new Segment(new byte[] { 0, 0 });
        var last = first.Append(new byte[] { 0, 1, 0, 42 });
        var buffer = new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);

        Assert.True(MessageFrame.TryReadHeader(buffer, out var compressed, out var length));
        Assert.False(compressed);
        Assert.Equal(256u, length);
    }

    [Fact]
    public void TryReadHeader_FewerThanFiveBytes_NotYet()
    {
        Assert.False(MessageFrame.TryReadHeader(new ReadOnlySequence<byte>(new byte[4]), out _, out _));
    }

    [Fact]
    public void TryReadHeader_BadFlag_Internal()
    {
        var error = Assert.Throws<RpcException>(() => MessageFrame.TryReadHeader(new ReadOnlySequence<byte>(new byte[] { 7, 0, 0, 0, 0 }), out _, out _));
        Assert.Equal(StatusCode.Internal, error.StatusCode);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
