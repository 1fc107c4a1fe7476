using Arbor.Features.Values;
using Arbor.FeatureStore.Feast;
using Arbor.Testing.Feast;

namespace Arbor.FeatureStore.Tests.Feast;

public sealed class FeastValueDecoderTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Hand-computed protobuf: tag = field << 3 | wire type.
    [Theory]
    [InlineData("float_val", "1.5", "350000c03f")] // field 6, fixed32: 1.5f = 0x3fc00000
    [InlineData("int64_val", "300", "20ac02")] // field 4, varint 300 = ac 02
    [InlineData("string_val", "\"hi\"", "12026869")] // field 2, length 2
    [InlineData("float_list_val", "[1.0, -2.0]", "82010a0a080000803f000000c0")] // field 16 { field 1 packed: 8 bytes }
    public async Task PythonWriter_WritesTheHandComputedValues(string field, string json, string hex) =>
        Assert.Equal(hex, Convert.ToHexStringLower(await FeastWriter.ValueAsync(field, json, Ct)));

    [Fact]
    public void Decode_Scalars_GiveArborTypedValues()
    {
        Assert.Equal(1.5f, Decoded("350000c03f").AsFloat());
        Assert.Equal(300, Decoded("20ac02").AsInt64());
        Assert.Equal("hi", Decoded("12026869").AsString());
        Assert.Equal([1.0f, -2.0f], Decoded("82010a0a080000803f000000c0").AsFloatVector().ToArray());
        Assert.Equal([(byte)0xde, (byte)0xad], Decoded("0a02dead").AsBytes().ToArray()); // field 1, length 2
    }

    [Fact]
    public async Task Decode_EveryTypeArborTakes_AsThePythonWriterWritesIt()
    {
        Assert.Equal((float)0.1, Decoded(await FeastWriter.ValueAsync("double_val", "0.1", Ct)).AsFloat());
        Assert.Equal(-5, Decoded(await FeastWriter.ValueAsync("int32_val", "-5", Ct)).AsInt64());
        Assert.Equal(long.MinValue, Decoded(await FeastWriter.ValueAsync("int64_val", "-9223372036854775808", Ct)).AsInt64());
        var int32s = Decoded(await FeastWriter.ValueAsync("int32_list_val", "[-1, 2]", Ct));
        Assert.Equal([-1L, 2L], int32s.AsInt64List().ToArray());
        var int64s = Decoded(await FeastWriter.ValueAsync("int64_list_val", "[9223372036854775807, 0]", Ct));
        Assert.Equal([long.MaxValue, 0L], int64s.AsInt64List().ToArray());
        var doubles = Decoded(await FeastWriter.ValueAsync("double_list_val", "[0.1, 3.0]", Ct));
        Assert.Equal([(float)0.1, 3f], doubles.AsFloatVector().ToArray());
    }

    [Fact]
    public void Decode_UnpackedList_IsReadLikeAPackedOne()
    {
        // int64_list_val { val: 1, val: 2 } written unpacked: 72 04 | 08 01 08 02.
        Assert.Equal([1L, 2L], Decoded("720408010802").AsInt64List().ToArray());
    }

    [Theory]
    [InlineData("3801", FeastValueStatus.TypeNotTaken)] // bool_val = true
    [InlineData("4001", FeastValueStatus.TypeNotTaken)] // unix_timestamp_val = 1
    [InlineData("62030a0161", FeastValueStatus.TypeNotTaken)] // string_list_val ["a"]
    [InlineData("980100", FeastValueStatus.Null)] // null_val = NULL (0)
    [InlineData("", FeastValueStatus.Null)] // nothing set
    [InlineData("a00101", FeastValueStatus.UnknownType)] // field 20, a type newer than this build
    [InlineData("3500", FeastValueStatus.Corrupt)] // float_val cut short
    [InlineData("12056869", FeastValueStatus.Corrupt)] // string longer than the bytes
    [InlineData("1202c328", FeastValueStatus.Corrupt)] // not UTF-8
    [InlineData("3001", FeastValueStatus.Corrupt)] // float_val with a varint
    [InlineData("ffffffffffffffffffff01", FeastValueStatus.Corrupt)] // tag too long
    public void Decode_ValueArborCannotServe_SaysWhy(string hex, FeastValueStatus expected) =>
        Assert.Equal(expected, FeastValueDecoder.Decode(Convert.FromHexString(hex), out _, out _));

    private static TypedValue Decoded(string hex) => Decoded(Convert.FromHexString(hex));

    private static TypedValue Decoded(byte[] bytes)
    {
        Assert.Equal(FeastValueStatus.Value, FeastValueDecoder.Decode(bytes, out var value, out _));
        return value;
    }
}
