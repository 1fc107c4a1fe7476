using Arbor.Features.Wire;
using Google.Protobuf;

namespace Arbor.Features.Tests.Wire;

public sealed class ProtoWireTests
{
    [Fact]
    public void WriteVarints_ValuesOfEveryBitLength_AreWhatProtobufWrites()
    {
        var random = new Random(20261205);
        for (var round = 0; round < 2_000; round++)
        {
            // Each value has a random bit length from 0 to 64 (its highest set bit) (negative ones take ten bytes), so
            // the last values meet the end of the destination with fewer than eight bytes left.
            var values = new long[random.Next(0, 12)];
            for (var i = 0; i < values.Length; i++)
            {
                var bits = random.Next(0, 65);
                var top = bits == 0 ? 0 : 1UL << (bits - 1);
                values[i] = (long)(((ulong)random.NextInt64() & (top - 1)) | top);
            }

            var expected = new MemoryStream();
            var output = new CodedOutputStream(expected);
            foreach (var value in values)
            {
                output.WriteInt64(value);
            }

            output.Flush();
            var destination = new byte[expected.Length];

            var written = ProtoWire.WriteVarints(destination, values);

            Assert.Equal(expected.Length, written);
            Assert.Equal(expected.ToArray(), destination);
        }
    }

    [Fact]
    public void ReadVarints_ReadsWhatWriteVarintsWrote_AndRefusesBrokenOnes()
    {
        var random = new Random(20261207);
        for (var round = 0; round < 1_000; round++)
        {
            var values = new long[random.Next(0, 12)];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = random.NextInt64() >> random.Next(0, 64) ^ (random.Next(2) == 0 ? 0 : -1L);
            }

            var bytes = new byte[values.Length * 10];
            var written = ProtoWire.WriteVarints(bytes, values);
            var read = new long[values.Length];

            ProtoWire.ReadVarints(bytes.AsSpan(0, written), read);

            Assert.Equal(values, read);
            if (written > 0)
            {
                // One byte short ends inside a varint; one value too many finds no bytes for it.
                Assert.Throws<FormatException>(() => ProtoWire.ReadVarints(bytes.AsSpan(0, written - 1), new long[values.Length]));
                Assert.Throws<FormatException>(() => ProtoWire.ReadVarints(bytes.AsSpan(0, written), new long[values.Length + 1]));
                Assert.Throws<FormatException>(() => ProtoWire.ReadVarints(bytes.AsSpan(0, written), new long[values.Length - 1]));
            }
        }
    }
}
