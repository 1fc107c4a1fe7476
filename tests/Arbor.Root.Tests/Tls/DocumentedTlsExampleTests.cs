using Arbor.Root.Configuration;
using Arbor.Testing;

namespace Arbor.Root.Tests.Tls;

public sealed class DocumentedTlsExampleTests
{
    [Fact]
    public void RootTlsExample_InSecurityMd_ParsesWithEveryPart()
    {
        var config = RootConfigLoader.Parse(DocumentationExamples.Read("security.md", "root_tls.json"));

        Assert.Equal("tls/root.crt", config.Tls.Server!.Certificate);
        Assert.Equal("tls/root.key", config.Tls.Server.Key!.File);
        Assert.Equal("tls/clients-ca.crt", config.Tls.Server.ClientCa);
        Assert.Equal("tls/leaves-ca.crt", config.Tls.Leaves!.Ca);
        Assert.Equal(5000, config.Tls.ReloadIntervalMs);
    }

    [Fact]
    public void TlsWithoutAKey_IsRefusedNamingTheSection()
    {
        var error = Assert.Throws<RootConfigException>(() => RootConfigLoader.Parse("""{ "schema": "arbor.root/v1", "tls": { "leaves": { "certificate": "c.crt", "ca": "ca.crt" } } }"""));

        Assert.Contains("$.tls.leaves", error.Message, StringComparison.Ordinal);
    }
}
