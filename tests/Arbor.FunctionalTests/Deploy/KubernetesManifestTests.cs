using System.Diagnostics;
using Arbor.Testing;

namespace Arbor.FunctionalTests.Deploy;

/// <summary>
/// deploy/kubernetes: every overlay renders with <c>kubectl kustomize</c> and each object passes the
/// Kubernetes schema (npm kubernetes-models) and the drain-versus-grace-period check.
/// </summary>
public sealed class KubernetesManifestTests
{
    private static readonly string Script = RepositoryPaths.Combine("deploy", "kubernetes", "validate.sh");

    [Fact]
    public async Task EveryOverlay_RendersAndMatchesTheKubernetesSchema()
    {
        SkipWithoutTools();

        var (exitCode, output) = await RunAsync(Script);

        Assert.True(exitCode == 0, output);
        Assert.DoesNotContain("INVALID", output, StringComparison.Ordinal);
        foreach (var overlay in new[] { "dev", "production", "gpu" })
        {
            foreach (var kind in new[] { "Deployment/arbor-root", "Deployment/leaf-homefeed", "Deployment/leaf-related", "Service/leaf-homefeed", "HorizontalPodAutoscaler/arbor-root", "PodDisruptionBudget/leaf-related" })
            {
                Assert.Contains($"/{overlay}.yaml: {kind}", output, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task BrokenObjects_AreRejectedWithTheirProblem()
    {
        SkipWithoutTools();
        using var directory = new TempDirectory("arbor-k8s-");
        var bad = directory.Combine("bad.yaml");
        await File.WriteAllTextAsync(bad, """
            apiVersion: apps/v1
            kind: Deployment
            metadata: { name: wrong-type }
            spec: { replicas: two, selector: {}, template: {} }
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: { name: short-grace }
            spec:
              selector: { matchLabels: { a: b } }
              template:
                metadata: { labels: { a: b } }
                spec:
                  terminationGracePeriodSeconds: 5
                  containers: [{ name: leaf, image: x, args: ["--drain-delay-ms=10000"] }]
            """, TestContext.Current.CancellationToken);

        var (exitCode, output) = await RunAsync(Script, bad);

        Assert.Equal(1, exitCode);
        Assert.Contains("INVALID " + bad + ": Deployment/wrong-type: data/spec/replicas must be integer", output, StringComparison.Ordinal);
        Assert.Contains("INVALID " + bad + ": Deployment/short-grace: container leaf drains for 20000 ms", output, StringComparison.Ordinal);
    }

    private static void SkipWithoutTools()
    {
        foreach (var tool in new[] { "kubectl", "node", "npm" })
        {
            if (!OnPath(tool))
            {
                Assert.Skip($"{tool} is not installed: the manifests cannot be rendered or checked here");
            }
        }
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, tool)));

    private static async Task<(int ExitCode, string Output)> RunAsync(string script, params string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
