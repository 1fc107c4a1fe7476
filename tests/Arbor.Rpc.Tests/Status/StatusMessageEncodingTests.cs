using Arbor.Rpc.Status;
using FsCheck;
using FsCheck.Fluent;

namespace Arbor.Rpc.Tests.Status;

public sealed class StatusMessageEncodingTests
{
    [Fact]
    public void Encode_PrintableAscii_IsUnchanged()
    {
        Assert.Equal("model not found: x", StatusMessageEncoding.Encode("model not found: x"));
    }

    [Fact]
    public void Encode_PercentAndNonAscii_ArePercentEncodedUtf8()
    {
        Assert.Equal("50%25 caf%C3%A9%0A", StatusMessageEncoding.Encode("50% café\n"));
    }

    [Fact]
    public void Decode_MalformedEscape_IsKeptAsItIs()
    {
        Assert.Equal("100%zz %4", StatusMessageEncoding.Decode("100%zz %4"));
    }

    [Fact]
    public void EncodeThenDecode_AnyText_RoundTripsAndIsPrintableAscii()
    {
        var text = Gen.Elements("a", "Z", " ", "%", "\n", "é", "☃", "模", "😀", "\t", "~").ArrayOf().Select(parts => string.Concat(parts));
        Prop.ForAll(text.ToArbitrary(), message =>
        {
            var encoded = StatusMessageEncoding.Encode(message);
            return encoded.All(c => c is >= (char)0x20 and <= (char)0x7E) && StatusMessageEncoding.Decode(encoded) == message;
        }).QuickCheckThrowOnFailure();
    }
}
