using System.Text;
using Arbor.Signatures.Bundles;
using FsCheck;
using FsCheck.Fluent;

namespace Arbor.Signatures.Tests.Bundles;

public sealed class BundleJsonTests
{
    private static readonly string ShaA = new('a', 64);
    private static readonly string ShaB = new('b', 64);

    private static BundleDocument Sample() => new(
        BundleDocument.SchemaV1,
        "homefeed",
        new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.Zero),
        new Dictionary<string, BundleModel>
        {
            ["zeta"] = new("10", new Dictionary<string, BundleModelVersion>
            {
                ["10"] = new(["b", "a"], ShaA),
                ["9"] = new(["c"], ShaB),
            }),
            ["alpha"] = new("1", new Dictionary<string, BundleModelVersion> { ["1"] = new(["x"], ShaB) }),
        });

    [Fact]
    public void Write_ThenParse_RoundTripsEveryField()
    {
        var parsed = BundleJson.Parse(BundleJson.ToUtf8Bytes(Sample()));

        Assert.Equal("homefeed", parsed.Bundle);
        Assert.Equal(new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.Zero), parsed.GeneratedAt);
        Assert.Equal("10", parsed.Models["zeta"].Latest);
        Assert.Equal(["a", "b"], parsed.Models["zeta"].Versions["10"].Features);
        Assert.Equal(ShaB, parsed.Models["zeta"].Versions["9"].SignatureSha256);
        Assert.Equal(["x"], parsed.Models["alpha"].Versions["1"].Features);
    }

    [Fact]
    public void Write_SortsModelsVersionsNumericallyAndFeatures()
    {
        var json = BundleJson.ToJsonString(Sample());

        Assert.True(json.IndexOf("\"alpha\"", StringComparison.Ordinal) < json.IndexOf("\"zeta\"", StringComparison.Ordinal));
        Assert.True(json.IndexOf("\"9\": {", StringComparison.Ordinal) < json.IndexOf("\"10\": {", StringComparison.Ordinal));
        Assert.True(json.IndexOf("\"a\"", StringComparison.Ordinal) < json.IndexOf("\"b\"", StringComparison.Ordinal));
        Assert.Contains("\"generated_at\": \"2026-03-04T05:06:07Z\"", json, StringComparison.Ordinal);
        Assert.Contains("\"signature_sha256\"", json, StringComparison.Ordinal);
        Assert.EndsWith("}\n", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_IsCanonical_WhateverTheInputOrder()
    {
        Prop.ForAll(
            Gen.Shuffle(["f1", "f2", "f3", "f10", "user_x", "pin_y"]).ToArbitrary(),
            Gen.Shuffle(["1", "2", "10", "exp"]).ToArbitrary(),
            (features, versions) =>
            {
                var shuffled = new BundleDocument(BundleDocument.SchemaV1, "b", DateTimeOffset.UnixEpoch,
                    new Dictionary<string, BundleModel>
                    {
                        ["m"] = new("10", versions.ToDictionary(v => v, _ => new BundleModelVersion(features, ShaA))),
                    });
                var canonical = new BundleDocument(BundleDocument.SchemaV1, "b", DateTimeOffset.UnixEpoch,
                    new Dictionary<string, BundleModel>
                    {
                        ["m"] = new("10", new[] { "exp", "1", "2", "10" }.ToDictionary(v => v, _ => new BundleModelVersion(features.Order(StringComparer.Ordinal).ToList(), ShaA))),
                    });
                var bytes = BundleJson.ToUtf8Bytes(shuffled);
                return bytes.AsSpan().SequenceEqual(BundleJson.ToUtf8Bytes(canonical))
                    && bytes.AsSpan().SequenceEqual(BundleJson.ToUtf8Bytes(BundleJson.Parse(bytes)));
            }).QuickCheckThrowOnFailure();
    }

    [Theory]
    [InlineData("\"schema\": \"arbor.bundle/v1\"", "\"schema\": \"arbor.bundle/v9\"", "$.schema", "unknown schema")]
    [InlineData("\"bundle\": \"homefeed\",", "", "$.bundle", "missing required field")]
    [InlineData("\"2026-03-04T05:06:07Z\"", "\"yesterday\"", "$.generated_at", "not an ISO 8601 timestamp")]
    [InlineData("\"latest\": \"10\"", "\"latest\": \"11\"", "$.models.zeta.latest", "latest version '11' is not among the versions")]
    [InlineData("\"latest\": \"10\",", "", "$.models.zeta.latest", "missing required field")]
    [InlineData("\"signature_sha256\": \"bbbb", "\"signature_sha256\": \"BBBB", "$.models.alpha.versions['1'].signature_sha256", "not a lower-case hex SHA-256")]
    [InlineData("\"x\"", "", "$.models.alpha.versions['1'].features", "at least one feature")]
    [InlineData("\"x\"", "\"x\", \"x\"", "$.models.alpha.versions['1'].features[1]", "feature 'x' is listed twice")]
    [InlineData("\"x\"", "7", "$.models.alpha.versions['1'].features[0]", "expected a string, got a number")]
    [InlineData("\"latest\": \"1\"", "\"latest\": \"1\", \"latest\": \"1\"", "$", "Duplicate property 'latest'")]
    [InlineData("\"models\": {", "\"models\": [], \"x\": {", "$.models", "expected an object, got an array")]
    public void Parse_BadBundle_ReportsProblemAtItsPath(string find, string replace, string path, string message)
    {
        var valid = BundleJson.ToJsonString(Sample());
        Assert.Contains(find, valid, StringComparison.Ordinal);

        var ex = Assert.Throws<BundleException>(() => BundleJson.Parse(valid.Replace(find, replace, StringComparison.Ordinal)));

        Assert.Contains(ex.Problems, p => p.Path == path && p.Message.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_Garbage_ReportsJsonSyntaxProblem()
    {
        var ex = Assert.Throws<BundleException>(() => BundleJson.Parse(Encoding.UTF8.GetBytes("{\"schema\": \"arbor.bundle/v1\",")));

        Assert.Contains("not valid JSON", Assert.Single(ex.Problems).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadFile_MissingFile_ThrowsBundleExceptionNamingTheFile()
    {
        var ex = Assert.Throws<BundleException>(() => BundleJson.ReadFile("/nonexistent/bundle.json"));

        Assert.Contains("/nonexistent/bundle.json", ex.Message, StringComparison.Ordinal);
        Assert.Contains("cannot be read", ex.Message, StringComparison.Ordinal);
    }
}
