using Arbor.Trimming.Options;

namespace Arbor.Trimming.Tests.Options;

public sealed class FeatureTrimmerOptionsValidatorTests
{
    private readonly FeatureTrimmerOptionsValidator _validator = new();

    [Fact]
    public void Validate_Defaults_Succeed()
    {
        var options = new FeatureTrimmerOptions();
        options.BundlePaths.Add("/etc/arbor/bundles/homefeed.json");

        Assert.True(_validator.Validate(null, options).Succeeded);
    }

    [Fact]
    public void Validate_NoBundles_Succeeds()
    {
        Assert.True(_validator.Validate(null, new FeatureTrimmerOptions()).Succeeded);
    }

    [Theory]
    [InlineData("")]
    [InlineData("/etc/arbor/bundles/")]
    public void Validate_PathThatIsNotAFile_Fails(string path)
    {
        var options = new FeatureTrimmerOptions();
        options.BundlePaths.Add(path);

        Assert.True(_validator.Validate(null, options).Failed);
    }

    [Fact]
    public void Validate_SameFileNameInTwoDirectories_Fails()
    {
        var options = new FeatureTrimmerOptions();
        options.BundlePaths.Add("/a/homefeed.json");
        options.BundlePaths.Add("/b/homefeed.json");

        var result = _validator.Validate(null, options);

        Assert.Contains("same file name", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_BadIntervals_NameEachProblem()
    {
        var options = new FeatureTrimmerOptions
        {
            DebounceInterval = TimeSpan.Zero,
            MaxDebounceDelay = TimeSpan.FromMilliseconds(-1),
            RescanInterval = TimeSpan.Zero,
        };

        var result = _validator.Validate(null, options);

        Assert.Equal(3, result.Failures!.Count());
    }
}
