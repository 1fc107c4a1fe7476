using Arbor.FeatureStore.Feast;
using Arbor.Testing.Feast;

namespace Arbor.FeatureStore.Tests.Feast;

public sealed class FeastRedisLayoutTests
{
    // Feast's version 3 entity key (see FeastEntityKeyTests), then the project "arbor_sample" in UTF-8.
    private const string StringKey = "01000000" + "02000000" + "07000000" + "757365725f6964" + "02000000" + "03000000" + "753137" + "6172626f725f73616d706c65";

    // pin_id = 1234567890123 as int64, then "arbor_sample".
    private const string Int64Key = "01000000" + "02000000" + "06000000" + "70696e5f6964" + "04000000" + "08000000" + "cb04fb711f010000" + "6172626f725f73616d706c65";

    // MurmurHash3_x86_32("user_stats:user_age_days", seed 0) = 0x4d5641fc (reference implementation), little-endian.
    private const string AgeField = "fc41564d";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Key_StringAndInt64JoinKeys_MatchTheHandComputedBytes()
    {
        Assert.Equal(StringKey, Convert.ToHexStringLower(FeastRedisLayout.Key(FeastEntityKey.TryEncode("user_id", FeastKeyType.String, "u17")!, "arbor_sample")));
        Assert.Equal(Int64Key, Convert.ToHexStringLower(FeastRedisLayout.Key(FeastEntityKey.TryEncode("pin_id", FeastKeyType.Int64, "1234567890123")!, "arbor_sample")));
    }

    [Fact]
    public void Field_ViewColonFeature_IsItsMurmur3LittleEndian() =>
        Assert.Equal(AgeField, Convert.ToHexStringLower(FeastRedisLayout.Field("user_stats", "user_age_days")));

    [Fact]
    public async Task PythonWriter_WritesTheHandComputedKeysAndFields()
    {
        Assert.Equal(StringKey, Convert.ToHexStringLower(await FeastWriter.RedisKeyAsync("user_id", "string", "u17", "arbor_sample", Ct)));
        Assert.Equal(Int64Key, Convert.ToHexStringLower(await FeastWriter.RedisKeyAsync("pin_id", "int64", "1234567890123", "arbor_sample", Ct)));
        Assert.Equal(AgeField, Convert.ToHexStringLower(await FeastWriter.RedisFieldAsync("user_stats", "user_age_days", Ct)));
    }

    [Theory]
    [InlineData("user_stats", "ctr_7d")] // tail of 1
    [InlineData("pin_stats", "pin_age_days")] // tail of 2
    [InlineData("vue", "f")] // 5 bytes: one block, tail of 1
    [InlineData("view", "fé")] // UTF-8 beyond ASCII
    public async Task Field_MatchesThePythonWriter(string view, string feature) =>
        Assert.Equal(await FeastWriter.RedisFieldAsync(view, feature, Ct), FeastRedisLayout.Field(view, feature));

    [Fact]
    public void TryReadTimestamp_SecondsAndNanos()
    {
        // seconds = 1764590400 (field 1, varint c0 86 b6 c9 06), nanos = 500000000 (field 2, varint 80 ca b5 ee 01).
        Assert.True(FeastRedisLayout.TryReadTimestamp(Convert.FromHexString("08c086b6c906" + "1080cab5ee01"), out var time));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1764590400).AddMilliseconds(500), time);
        Assert.True(FeastRedisLayout.TryReadTimestamp([], out var epoch));
        Assert.Equal(DateTimeOffset.UnixEpoch, epoch);
    }

    [Theory]
    [InlineData("08")] // a tag without its value
    [InlineData("1801")] // field 3
    [InlineData("0a0100")] // field 1 as bytes
    [InlineData("10ffffffff0f")] // nanos past a second
    public void TryReadTimestamp_NotATimestamp_IsFalse(string hex) =>
        Assert.False(FeastRedisLayout.TryReadTimestamp(Convert.FromHexString(hex), out _));
}
