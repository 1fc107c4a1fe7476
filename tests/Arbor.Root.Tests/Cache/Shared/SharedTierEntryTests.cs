using Arbor.Features.Values;
using Arbor.Root.Cache.Shared;

namespace Arbor.Root.Tests.Cache.Shared;

public sealed class SharedTierEntryTests
{
    [Fact]
    public void Encode_Decode_KeepsEveryValueTypeAndFeaturesWithoutValue()
    {
        KeyValuePair<string, TypedValue>[] features =
        [
            new("f_float", TypedValue.FromFloat(-1.5e-7f)),
            new("f_int", TypedValue.FromInt64(long.MinValue + 3)),
            new("f_vector", TypedValue.FromFloatVector([0.1f, float.NaN])),
            new("f_list", TypedValue.FromInt64List([1, -2])),
            new("f_string", TypedValue.FromString("héllo")),
            new("f_bytes", TypedValue.FromBytes([0, 255])),
            new("f_none", TypedValue.None),
        ];
        var decoded = new Dictionary<string, TypedValue>();

        Assert.True(SharedTierEntry.TryDecode(SharedTierEntry.Encode(1_700_000_000_123, features), decoded, out var fetchedAt));

        Assert.Equal(1_700_000_000_123, fetchedAt);
        Assert.Equal(features.Length, decoded.Count);
        foreach (var (name, value) in features)
        {
            Assert.Equal(value, decoded[name]);
        }
    }

    [Fact]
    public void Decode_TruncatedOrForeignBytes_IsRefusedWithoutThrowing()
    {
        var entry = SharedTierEntry.Encode(1, [new("a", TypedValue.FromInt64(7))]);
        var decoded = new Dictionary<string, TypedValue>();

        Assert.False(SharedTierEntry.TryDecode(entry.AsSpan(0, entry.Length - 3), decoded, out _));
        Assert.False(SharedTierEntry.TryDecode("not an entry at all"u8, decoded, out _));
        Assert.Empty(decoded);
    }
}
