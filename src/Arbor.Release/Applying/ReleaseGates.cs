using Arbor.Release.Canary;
using Arbor.Release.Environments;
using Arbor.Release.Planning;
using Arbor.Release.Verification;

namespace Arbor.Release.Applying;

/// <summary>
/// The checks after each step. Files are always checked; live processes are asked when the
/// environment's endpoints are known: roots must report the written bundles active with the exact
/// content hash, leaves must serve the shipped versions by default, and no served version may lack
/// an allowlist. Waiting is bounded by <see cref="GateOptions.WaitTimeout"/>.
/// </summary>
public sealed class ReleaseGates(
    IReadOnlyDictionary<string, EnvironmentEndpoints> endpoints,
    RootAdminClient roots,
    LeafModelsClient leaves,
    GateOptions options,
    TimeProvider timeProvider)
{
    private readonly ReleaseVerifier _verifier = new(roots, leaves);

    public GateOptions Options => options;

    public EnvironmentEndpoints EndpointsOf(string environment) =>
        endpoints.TryGetValue(environment, out var e) ? e : EnvironmentEndpoints.None;

    /// <summary>After bundles are written: every file holds what was written, every root of the environment loaded it.</summary>
    public async Task<GateResult> BundlesLoadedAsync(EnvironmentDirectory environment, IReadOnlyList<(string Bundle, string Sha256)> written, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(written);
        if (written.Count == 0)
        {
            return GateResult.Pass();
        }

        var report = new List<string>();
        foreach (var (bundle, sha) in written)
        {
            var onDisk = environment.BundleHash(bundle);
            if (onDisk != sha)
            {
                return GateResult.Fail($"{environment.Name}: {environment.BundlePath(bundle)} holds {onDisk ?? "nothing"}, not the {sha} written");
            }
        }

        report.Add($"{environment.Name}: {written.Count} bundle file(s) written and read back");
        var rootUris = EndpointsOf(environment.Name).Roots;
        if (rootUris.Count == 0)
        {
            report.Add($"{environment.Name}: no roots given, live loading not checked");
            return new GateResult(true, report);
        }

        var (ok, last) = await WaitAsync(async ct =>
        {
            var missing = new List<string>();
            foreach (var uri in rootUris)
            {
                RootTrimmerView view;
                try
                {
                    view = await roots.GetTrimmerAsync(uri, ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is HttpRequestException or InvalidDataException or TaskCanceledException && !ct.IsCancellationRequested)
                {
                    missing.Add($"root {uri} unreachable: {ex.Message}");
                    continue;
                }

                foreach (var (bundle, sha) in written)
                {
                    if (!view.Bundles.Any(b => b.Id == bundle || b.Bundle == bundle))
                    {
                        missing.Add($"root {uri} is not configured with bundle {bundle} ({environment.BundlePath(bundle)})");
                    }
                    else if (!view.HasLoaded(bundle, sha))
                    {
                        var source = view.Bundles.First(b => b.Id == bundle || b.Bundle == bundle);
                        missing.Add($"root {uri} has bundle {bundle} {source.State} at {source.ContentHash ?? "(none)"}{(source.LastError is null ? "" : $" ({source.LastError})")}, not {sha}");
                    }
                }
            }

            return (missing.Count == 0, missing);
        }, cancellationToken).ConfigureAwait(false);
        if (!ok)
        {
            report.AddRange(last);
            report.Add($"{environment.Name}: roots did not load the bundles within {options.WaitTimeout.TotalSeconds:0} s");
            return new GateResult(false, report);
        }

        report.Add($"{environment.Name}: {rootUris.Count} root(s) loaded the bundles");
        return new GateResult(true, report);
    }

    /// <summary>After versions are published or removed: leaves serve what they should by default, and no served version lacks an allowlist.</summary>
    public async Task<GateResult> LeavesServeAsync(
        EnvironmentDirectory environment, IReadOnlyDictionary<string, string?> expectedDefaults, IReadOnlyList<(string Model, string Version)> gone, bool strict, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(expectedDefaults);
        ArgumentNullException.ThrowIfNull(gone);
        var report = new List<string>();
        var env = EndpointsOf(environment.Name);
        if (env.Leaves.Count == 0)
        {
            report.Add($"{environment.Name}: no leaves given, serving not checked live");
            return new GateResult(true, report);
        }

        var (ok, last) = await WaitAsync(async ct =>
        {
            var waiting = new List<string>();
            var servedSomewhere = expectedDefaults.Keys.ToDictionary(m => m, _ => false, StringComparer.Ordinal);
            foreach (var uri in env.Leaves)
            {
                LeafView view;
                try
                {
                    view = await leaves.ListAsync(uri, ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is Grpc.Core.RpcException or TaskCanceledException && !ct.IsCancellationRequested)
                {
                    waiting.Add($"leaf {uri} unreachable: {ex.Message}");
                    continue;
                }

                foreach (var (model, version) in expectedDefaults)
                {
                    if (view.Model(model) is not { } served)
                    {
                        continue;
                    }

                    servedSomewhere[model] = true;
                    if (version is not null && served.DefaultVersion != version)
                    {
                        waiting.Add($"leaf {uri} serves {model} {(served.DefaultVersion.Length == 0 ? "no version" : served.DefaultVersion)} by default, not {version} [{string.Join(", ", served.Versions.Select(v => $"{v.Version} {v.State}{(v.Error is null ? "" : $": {v.Error}")}"))}]");
                    }
                }

                foreach (var (model, version) in gone)
                {
                    if (view.Model(model)?.Versions.FirstOrDefault(v => v.Version == version && v.IsAvailable) is not null)
                    {
                        waiting.Add($"leaf {uri} still serves {model}:{version}");
                    }
                }
            }

            waiting.AddRange(servedSomewhere.Where(s => !s.Value).Select(s => $"no leaf of {environment.Name} serves {s.Key}"));
            return (waiting.Count == 0, waiting);
        }, cancellationToken).ConfigureAwait(false);
        if (!ok)
        {
            report.AddRange(last);
            report.Add($"{environment.Name}: leaves did not converge within {options.WaitTimeout.TotalSeconds:0} s");
            return new GateResult(false, report);
        }

        report.Add($"{environment.Name}: {env.Leaves.Count} leaf/leaves serve {string.Join(", ", expectedDefaults.Select(e => $"{e.Key}:{e.Value ?? "-"}"))} by default");
        var verification = await VerifyAsync(environment.Name, strict, cancellationToken).ConfigureAwait(false);
        report.AddRange(verification.Report);
        return new GateResult(verification.Passed, report);
    }

    /// <summary>Verifies an environment's roots against its leaves (skipped without both).</summary>
    public async Task<GateResult> VerifyAsync(string environment, bool strict, CancellationToken cancellationToken)
    {
        var env = EndpointsOf(environment);
        if (env.Roots.Count == 0 || env.Leaves.Count == 0)
        {
            return GateResult.Pass($"{environment}: verify needs roots and leaves, not run");
        }

        var report = await _verifier.VerifyAsync(env.Roots, env.Leaves, strict, cancellationToken).ConfigureAwait(false);
        var lines = report.Findings.Select(f => $"{environment}: {f}").ToList();
        lines.Add($"{environment}: verify {(report.Passed ? "passed" : "FAILED")} ({report.Gaps.Count()} trimming gaps)");
        return new GateResult(report.Passed, lines);
    }

    public async Task<GateResult> CanaryAsync(string canary, string baseline, CancellationToken cancellationToken)
    {
        if (options.SkipCanaryAnalysis)
        {
            return GateResult.Pass("canary analysis skipped on request");
        }

        var canaryRoots = EndpointsOf(canary).Roots;
        var baselineRoots = EndpointsOf(baseline).Roots;
        if (canaryRoots.Count == 0 || baselineRoots.Count == 0)
        {
            return GateResult.Fail($"canary analysis needs the roots of {canary} and {baseline} (or skip it explicitly)");
        }

        CanaryVerdict verdict;
        try
        {
            verdict = await new CanaryAnalyzer(roots, timeProvider)
                .RunAsync(canaryRoots, baselineRoots, options.CanaryWindow, options.Thresholds, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or InvalidDataException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return GateResult.Fail($"canary analysis could not read root stats: {ex.Message}");
        }

        var lines = verdict.Checks.Select(c => c.ToString()).ToList();
        lines.Add($"canary analysis {(verdict.Passed ? "passed" : "FAILED")} over {options.CanaryWindow.TotalSeconds:0} s");
        return new GateResult(verdict.Passed, lines);
    }

    private async Task<(bool Ok, IReadOnlyList<string> Last)> WaitAsync(Func<CancellationToken, Task<(bool, List<string>)>> check, CancellationToken cancellationToken)
    {
        var started = timeProvider.GetTimestamp();
        var maxAttempts = (int)Math.Clamp(options.WaitTimeout / options.PollInterval, 1, 100_000) + 1;
        List<string> last = [];
        for (var attempt = 0; attempt < maxAttempts; attempt++)
        {
            var (ok, report) = await check(cancellationToken).ConfigureAwait(false);
            if (ok)
            {
                return (true, report);
            }

            last = report;
            if (timeProvider.GetElapsedTime(started) >= options.WaitTimeout)
            {
                break;
            }

            await Task.Delay(options.PollInterval, timeProvider, cancellationToken).ConfigureAwait(false);
        }

        return (false, last);
    }
}
