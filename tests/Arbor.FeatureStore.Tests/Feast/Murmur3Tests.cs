using System.Text;
using Arbor.FeatureStore.Feast;

namespace Arbor.FeatureStore.Tests.Feast;

public sealed class Murmur3Tests
{
    // Published MurmurHash3_x86_32 vectors (smhasher's verification values, mmh3's documented examples).
    [Theory]
    [InlineData("", 0u, 0x00000000u)]
    [InlineData("", 1u, 0x514E28B7u)]
    [InlineData("", 0xffffffffu, 0x81F16F39u)]
    [InlineData("hello", 0u, 0x248BFA47u)] // one block and a 1-byte tail
    [InlineData("ab", 0u, 0x9BBFD75Fu)] // a 2-byte tail only (reference implementation's value)
    [InlineData("abc", 0u, 0xB3DD93FAu)] // a 3-byte tail only
    [InlineData("abcd", 0u, 0x43ED676Au)] // one block, no tail
    [InlineData("The quick brown fox jumps over the lazy dog", 0u, 0x2E4FF723u)] // ten blocks and a 3-byte tail
    public void Hash32_PublishedVectors(string text, uint seed, uint expected) =>
        Assert.Equal(expected, Murmur3.Hash32(Encoding.UTF8.GetBytes(text), seed));
}
