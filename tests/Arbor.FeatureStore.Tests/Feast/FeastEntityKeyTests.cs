using Arbor.FeatureStore.Feast;
using Arbor.Testing.Feast;

namespace Arbor.FeatureStore.Tests.Feast;

public sealed class FeastEntityKeyTests
{
    // Worked out by hand from Feast's version 3 layout: <u32 1><u32 2 (STRING)><u32 7>"user_id"<u32 2><u32 3>"u17".
    private const string StringKey = "01000000" + "02000000" + "07000000" + "757365725f6964" + "02000000" + "03000000" + "753137";

    // <u32 1><u32 2><u32 6>"pin_id"<u32 4 (INT64)><u32 8><1234567890123 little-endian: cb 04 fb 71 1f 01 00 00>.
    private const string Int64Key = "01000000" + "02000000" + "06000000" + "70696e5f6964" + "04000000" + "08000000" + "cb04fb711f010000";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void TryEncode_StringKey_MatchesTheHandComputedBytes() =>
        Assert.Equal(StringKey, Convert.ToHexStringLower(FeastEntityKey.TryEncode("user_id", FeastKeyType.String, "u17")!));

    [Fact]
    public void TryEncode_Int64Key_MatchesTheHandComputedBytes() =>
        Assert.Equal(Int64Key, Convert.ToHexStringLower(FeastEntityKey.TryEncode("pin_id", FeastKeyType.Int64, "1234567890123")!));

    [Fact]
    public async Task PythonWriter_WritesTheHandComputedKeys()
    {
        Assert.Equal(StringKey, Convert.ToHexStringLower(await FeastWriter.KeyAsync("user_id", "string", "u17", Ct)));
        Assert.Equal(Int64Key, Convert.ToHexStringLower(await FeastWriter.KeyAsync("pin_id", "int64", "1234567890123", Ct)));
    }

    [Fact]
    public async Task TryEncode_Int32Key_MatchesThePythonWriter() =>
        Assert.Equal(
            await FeastWriter.KeyAsync("shard", "int32", "-7", Ct),
            FeastEntityKey.TryEncode("shard", FeastKeyType.Int32, "-7"));

    [Theory]
    [InlineData(FeastKeyType.Int64, "p17")]
    [InlineData(FeastKeyType.Int64, "")]
    [InlineData(FeastKeyType.Int32, "4294967296")]
    public void TryEncode_IdThatIsNotANumberOfTheKeyType_GivesNull(FeastKeyType type, string id) =>
        Assert.Null(FeastEntityKey.TryEncode("pin_id", type, id));

    [Fact]
    public void TryDescribe_EncodedKey_GivesItsJoinKeyAndType()
    {
        Assert.True(FeastEntityKey.TryDescribe(Convert.FromHexString(Int64Key), out var joinKeys, out var types));
        Assert.Equal(["pin_id"], joinKeys);
        Assert.Equal([(uint)FeastKeyType.Int64], types);
    }

    [Fact]
    public void TryDescribe_TruncatedOrVersion2Key_IsRefused()
    {
        var key = Convert.FromHexString(StringKey);
        Assert.False(FeastEntityKey.TryDescribe(key.AsSpan(0, key.Length - 1), out _, out _));

        // Version 2 wrote no key count and no name length: <u32 2>"user_id"<u32 2><u32 3>"u17".
        Assert.False(FeastEntityKey.TryDescribe(Convert.FromHexString("02000000" + "757365725f6964" + "02000000" + "03000000" + "753137"), out _, out _));
    }

    [Fact]
    public void TryDecode_HandComputedKeys_GiveTheirIds()
    {
        Assert.True(FeastEntityKey.TryDecode(Convert.FromHexString(StringKey), "user_id", FeastKeyType.String, out var user));
        Assert.True(FeastEntityKey.TryDecode(Convert.FromHexString(Int64Key), "pin_id", FeastKeyType.Int64, out var pin));

        Assert.Equal("u17", user);
        Assert.Equal("1234567890123", pin);
    }

    [Theory]
    [InlineData(FeastKeyType.String, "u17")]
    [InlineData(FeastKeyType.String, "ünïcode ✓")]
    [InlineData(FeastKeyType.Int64, "-9223372036854775808")]
    [InlineData(FeastKeyType.Int64, "0")]
    [InlineData(FeastKeyType.Int32, "-7")]
    [InlineData(FeastKeyType.Int32, "2147483647")]
    public void TryDecode_RoundTripsTryEncode(FeastKeyType type, string id)
    {
        Assert.True(FeastEntityKey.TryDecode(FeastEntityKey.TryEncode("id", type, id)!, "id", type, out var decoded));
        Assert.Equal(id, decoded);
    }

    [Fact]
    public void TryDecode_KeyOfAnotherValueType_IsRefused()
    {
        // An int64 key read as a string key, and a string key read as an int64 one.
        Assert.False(FeastEntityKey.TryDecode(Convert.FromHexString(Int64Key), "pin_id", FeastKeyType.String, out var id));
        Assert.Null(id);
        Assert.False(FeastEntityKey.TryDecode(Convert.FromHexString(StringKey), "user_id", FeastKeyType.Int64, out _));
        Assert.False(FeastEntityKey.TryDecode(Convert.FromHexString(Int64Key), "pin_id", FeastKeyType.Int32, out _));
    }

    [Fact]
    public void TryDecode_AnotherJoinKeyOrMalformedBytes_IsRefused()
    {
        var key = Convert.FromHexString(StringKey);
        Assert.False(FeastEntityKey.TryDecode(key, "pin_id", FeastKeyType.String, out _));
        Assert.False(FeastEntityKey.TryDecode(key.AsSpan(0, key.Length - 1), "user_id", FeastKeyType.String, out _));
        Assert.False(FeastEntityKey.TryDecode([.. key, 0], "user_id", FeastKeyType.String, out _));

        // An int64 value of 4 bytes, and a string value that is not UTF-8.
        Assert.False(FeastEntityKey.TryDecode(Convert.FromHexString("01000000" + "02000000" + "06000000" + "70696e5f6964" + "04000000" + "04000000" + "cb04fb71"), "pin_id", FeastKeyType.Int64, out _));
        Assert.False(FeastEntityKey.TryDecode(Convert.FromHexString("01000000" + "02000000" + "07000000" + "757365725f6964" + "02000000" + "02000000" + "c328"), "user_id", FeastKeyType.String, out _));
    }

    [Fact]
    public async Task TryDecode_KeysWrittenByPython_GiveTheirIds()
    {
        Assert.True(FeastEntityKey.TryDecode(await FeastWriter.KeyAsync("shard", "int32", "-7", Ct), "shard", FeastKeyType.Int32, out var shard));
        Assert.Equal("-7", shard);
    }
}
