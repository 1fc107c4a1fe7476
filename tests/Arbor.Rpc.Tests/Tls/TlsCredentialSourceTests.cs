using Arbor.Rpc.Security;
using Arbor.Rpc.Tls;
using Arbor.Testing;

namespace Arbor.Rpc.Tests.Tls;

public sealed class TlsCredentialSourceTests
{
    [Fact]
    public void FirstLoad_KeyOfAnotherCertificate_FailsNamingTheFilesNotTheKey()
    {
        using var files = new TlsTestFiles();
        var other = files.ServerCa.Issue("other", server: true);
        File.WriteAllText(files.Combine("server.key"), other.KeyPem);

        var error = Assert.Throws<TlsCredentialsException>(() => files.Server());

        Assert.Contains("server.key", error.Message, StringComparison.Ordinal);
        Assert.Contains("server.crt", error.Message, StringComparison.Ordinal);
        var keyBody = other.KeyPem.Split('\n')[1];
        Assert.DoesNotContain(keyBody, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void FirstLoad_ExpiredCertificate_Fails()
    {
        using var files = new TlsTestFiles();
        files.ServerCa.Issue("leaf", server: true, notAfter: DateTimeOffset.UtcNow.AddMinutes(-1)).Write(files.Directory, "server");

        var error = Assert.Throws<TlsCredentialsException>(() => files.Server());

        Assert.Contains("not now", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckNow_UnchangedFiles_KeepsTheCredentials()
    {
        using var files = new TlsTestFiles();
        var source = files.Server();
        var before = source.Current;

        Assert.False(source.CheckNow());

        Assert.Same(before, source.Current);
        Assert.Null(source.LastError);
    }

    [Fact]
    public void CheckNow_HalfWrittenUpdate_KeepsTheCredentialsInForce_ThenLoadsTheCompleteOne()
    {
        using var files = new TlsTestFiles();
        var source = files.Server();
        var renewed = files.ServerCa.Issue("leaf", server: true);

        // The certificate lands before its key: the pair does not match yet.
        File.WriteAllText(files.Combine("server.crt"), renewed.CertificatePem);
        Assert.False(source.CheckNow());
        Assert.Equal(files.ServerCertificate.Thumbprint, source.Current.Certificate.Thumbprint);
        Assert.NotNull(source.LastError);
        Assert.DoesNotContain(renewed.KeyPem.Split('\n')[1], source.LastError, StringComparison.Ordinal);

        File.WriteAllText(files.Combine("server.key"), renewed.KeyPem);
        Assert.True(source.CheckNow());
        Assert.Equal(renewed.Thumbprint, source.Current.Certificate.Thumbprint);
        Assert.Null(source.LastError);
    }

    [Fact]
    public void CheckNow_KeyFromAnEnvironmentVariable_IsRereadAndReloaded()
    {
        using var files = new TlsTestFiles();
        var variable = $"ARBOR_TEST_TLS_KEY_{Guid.NewGuid():N}";
        Environment.SetEnvironmentVariable(variable, files.ServerCertificate.KeyPem);
        try
        {
            var source = new TlsCredentialSource("env-key", new TlsFiles("server.crt", SecretValue.FromEnvironment(variable), null, files.Directory));
            Assert.Null(source.Current.TrustedCa);
            var renewed = files.ServerCa.Issue("leaf", server: true);
            File.WriteAllText(files.Combine("server.crt"), renewed.CertificatePem);
            Environment.SetEnvironmentVariable(variable, renewed.KeyPem);

            Assert.True(source.CheckNow());

            Assert.Equal(renewed.Thumbprint, source.Current.Certificate.Thumbprint);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }
}
