using System.Text.Json;
using Arbor.Rpc.Security;
using Arbor.Testing;

namespace Arbor.Rpc.Tests.Security;

public sealed class SecretValueTests
{
    private sealed record Holder(SecretValue Secret);

    [Fact]
    public void Inline_ResolvesToItself_AndSerialisesRedacted()
    {
        var holder = JsonSerializer.Deserialize<Holder>("""{"Secret": "Host=db;Password=hunter2"}""")!;

        Assert.Equal("Host=db;Password=hunter2", holder.Secret.Resolve("/"));
        var json = JsonSerializer.Serialize(holder);
        Assert.DoesNotContain("hunter2", json, StringComparison.Ordinal);
        Assert.Contains(SecretValue.Redacted, json, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", holder.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Environment_ResolvesTheVariable_AndSerialisesItsName()
    {
        var variable = "ARBOR_TEST_SECRET_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(variable, "from-env");
        try
        {
            var holder = JsonSerializer.Deserialize<Holder>($$$"""{"Secret": {"env": "{{{variable}}}"}}""")!;

            Assert.Equal("from-env", holder.Secret.Resolve("/"));
            Assert.Equal($$$"""{"Secret":{"env":"{{{variable}}}"}}""", JsonSerializer.Serialize(holder));
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public void Environment_Unset_FailsNamingTheVariable()
    {
        var secret = SecretValue.FromEnvironment("ARBOR_TEST_UNSET_" + Guid.NewGuid().ToString("N"));

        var error = Assert.Throws<SecretUnavailableException>(() => secret.Resolve("/"));
        Assert.Contains(secret.EnvironmentVariable!, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void File_ResolvesRelativeToTheBase_WithoutTheTrailingLineBreak()
    {
        using var directory = new TempDirectory();
        File.WriteAllText(directory.Combine("pg"), "Host=db;Password=s3cret\n");
        var holder = JsonSerializer.Deserialize<Holder>("""{"Secret": {"file": "pg"}}""")!;

        Assert.Equal("Host=db;Password=s3cret", holder.Secret.Resolve(directory.Path));
        Assert.DoesNotContain("s3cret", JsonSerializer.Serialize(holder), StringComparison.Ordinal);
    }

    [Fact]
    public void File_Missing_FailsWithoutTheSecret()
    {
        using var directory = new TempDirectory();

        var error = Assert.Throws<SecretUnavailableException>(() => SecretValue.FromFile("absent").Resolve(directory.Path));
        Assert.Contains("absent", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"Secret": ""}""")]
    [InlineData("""{"Secret": {}}""")]
    [InlineData("""{"Secret": {"env": "A", "file": "b"}}""")]
    [InlineData("""{"Secret": {"vault": "x"}}""")]
    [InlineData("""{"Secret": 12}""")]
    public void Malformed_IsAJsonError(string json) =>
        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<Holder>(json));
}
