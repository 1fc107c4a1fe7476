using System.Diagnostics;
using System.Text.Json;
using Arbor.Cli.Cluster;
using Arbor.Testing;

namespace Arbor.FunctionalTests.Cli;

/// <summary>The <c>arbor</c> tool's model check commands, run as a child process: output and exit codes.</summary>
public sealed class ModelCheckCommandTests
{
    private static string Registry => SampleModelRepository.Combine("feature_registry.json");

    private static string Broken => SampleModelRepository.Root + ".bad";

    [Fact]
    public async Task ModelCheck_SampleRepository_ReportsEveryVersionOkAndExitsZero()
    {
        var (exit, stdout, _) = await RunAsync("model", "check", SampleModelRepository.Root);

        Assert.True(exit == 0, stdout);
        Assert.Contains($"model check: {SampleModelRepository.Versions().Count} versions, 0 with problems", stdout, StringComparison.Ordinal);
        Assert.Contains("(feature registry ", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ModelCheck_BrokenVersion_PrintsJsonNamingTheInputAndExitsOne()
    {
        var (exit, stdout, _) = await RunAsync("model", "check", Broken, "--model", "dense_width_mismatch", "--version", "1", "--registry", Registry, "--json");

        Assert.Equal(1, exit);
        using var json = JsonDocument.Parse(stdout);
        var problem = Assert.Single(Assert.Single(json.RootElement.GetProperty("versions").EnumerateArray()).GetProperty("problems").EnumerateArray());
        Assert.Equal(("input_width", "dense"), (problem.GetProperty("kind").GetString(), problem.GetProperty("input").GetString()));
    }

    [Fact]
    public async Task ModelCheck_NoSuchRepository_ExitsTwo()
    {
        var (exit, _, stderr) = await RunAsync("model", "check", Path.Combine(Broken, "no-such-repository"));

        Assert.Equal(2, exit);
        Assert.Contains("does not exist", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BundleBuild_WithRegistry_RefusesAModelWhoseOnlyVersionFailsTheCheck()
    {
        using var output = new TempDirectory();
        var bundle = output.Combine("bad.json");

        var (exit, _, stderr) = await RunAsync("bundle", "build", "--repo", Broken, "--bundle", "bad", "--models", "wrong_output_count", "--registry", Registry, "--out", bundle);

        Assert.Equal(1, exit);
        Assert.Contains("no version of wrong_output_count passes the model check, so none can be latest", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(bundle));
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(params string[] arguments)
    {
        var arbor = ArborExecutable.Current();
        var start = new ProcessStartInfo(arbor.FileName, arbor.With(arguments)) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start arbor");
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
