using System.Globalization;
using Arbor.Release.Environments;
using Arbor.Release.Journal;
using Arbor.Release.Planning;
using Arbor.Release.Publishing;
using Arbor.Signatures.Archives;
using Arbor.Signatures.Bundles;
using Arbor.Signatures.Signatures;

namespace Arbor.Release.Applying;

/// <summary>
/// Applies a planned release step by step, each followed by its gate, stopping at the first failed
/// gate; and rolls a release back, environment by environment (last first), in the order that keeps
/// every served version covered: widen the root allowlists, restore the model configs, wait for the
/// leaves, then restore the root configs. Every step is recorded in the journal and in each
/// environment's <c>state.json</c>.
/// </summary>
public sealed class ReleaseExecutor(
    ReleaseEnvironments environments,
    ReleaseStore store,
    ReleaseGates gates,
    TimeProvider timeProvider,
    Action<string>? progress = null)
{
    /// <summary>Records a new plan as the open release. A planned release with nothing applied is abandoned in its favour.</summary>
    public ReleaseRecord Begin(ReleasePlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (store.FindOpen() is { } open)
        {
            if (open.Status != ReleaseStatus.Planned)
            {
                throw new ReleaseException($"release {open.Id} is in progress: apply the rest or roll it back before planning another");
            }

            store.Save(open with { Status = ReleaseStatus.Abandoned, History = [.. open.History, Line($"abandoned for {plan.Id}")] });
        }

        var record = ReleaseRecord.New(plan) with { History = [Line("planned")] };
        store.Create(record, environments);
        return record;
    }

    /// <summary>Applies one step (<paramref name="stepNumber"/>, which must be the next) or every remaining step.</summary>
    public async Task<ApplyResult> ApplyAsync(string? releaseId, int? stepNumber, CancellationToken cancellationToken)
    {
        var record = releaseId is null
            ? store.FindOpen() ?? throw new ReleaseException($"no open release in {store.Directory}: plan one first")
            : Load(releaseId);
        if (!record.IsOpen)
        {
            throw new ReleaseException($"release {record.Id} is {Name(record.Status)}: nothing to apply");
        }

        List<ReleaseStep> steps;
        if (stepNumber is { } number)
        {
            var step = record.Plan.Steps.FirstOrDefault(s => s.Number == number)
                ?? throw new ReleaseException($"release {record.Id} has steps 1 to {record.Plan.Steps.Count}, not {number}");
            if (record.Step(number).Status == StepStatus.Applied)
            {
                return new ApplyResult(record, true, [$"step {number} is already applied"]);
            }

            if (record.NextStep is { } next && next.Number != number)
            {
                throw new ReleaseException($"step {number} cannot run before step {next.Number} ({next.Title})");
            }

            steps = [step];
        }
        else
        {
            steps = [.. record.Plan.Steps.Where(s => record.Step(s.Number).Status != StepStatus.Applied)];
        }

        var report = new List<string>();
        foreach (var step in steps)
        {
            var (updated, passed) = await ApplyStepAsync(record, step, report, cancellationToken).ConfigureAwait(false);
            record = updated;
            if (!passed)
            {
                Say(report, $"stopped at step {step.Number}: its gate failed; fix and re-apply it, or roll back");
                return new ApplyResult(record, false, report);
            }
        }

        if (record.Status == ReleaseStatus.Completed)
        {
            Say(report, $"release {record.Id} completed");
        }

        return new ApplyResult(record, true, report);
    }

    /// <summary>Rolls a release (default: the newest) back on both tiers.</summary>
    public async Task<ApplyResult> RollbackAsync(string? releaseId, CancellationToken cancellationToken)
    {
        var all = store.List();
        var record = releaseId is null
            ? all.LastOrDefault(r => r.Status is not (ReleaseStatus.RolledBack or ReleaseStatus.Abandoned))
                ?? throw new ReleaseException($"no release to roll back in {store.Directory}")
            : Load(releaseId);
        if (record.Status is ReleaseStatus.RolledBack or ReleaseStatus.Abandoned)
        {
            throw new ReleaseException($"release {record.Id} is already {Name(record.Status)}");
        }

        var later = all.SkipWhile(r => r.Id != record.Id).Skip(1).Where(r => r.Status is not (ReleaseStatus.RolledBack or ReleaseStatus.Abandoned)).ToList();
        if (later.Count > 0)
        {
            throw new ReleaseException($"release {later[^1].Id} came after {record.Id}: roll it back first");
        }

        var report = new List<string>();
        if (record.Status == ReleaseStatus.Planned)
        {
            record = record with { Status = ReleaseStatus.Abandoned, History = [.. record.History, Line("abandoned (nothing was applied)")] };
            store.Save(record);
            Say(report, $"release {record.Id} had nothing applied: abandoned");
            return new ApplyResult(record, true, report);
        }

        Say(report, $"rolling back release {record.Id}");
        var passed = true;
        foreach (var env in environments.Environments.Reverse())
        {
            var before = record.Plan.Before.Single(b => b.Environment == env.Name);
            try
            {
                passed = await RollbackEnvironmentAsync(record, env, before, report, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or BundleException)
            {
                Say(report, $"{env.Name}: rollback failed: {ex.Message}");
                passed = false;
            }

            WriteState(env, record.Id, passed ? "rolled back" : "rollback failed");
            if (!passed)
            {
                break;
            }
        }

        record = record with
        {
            Status = passed ? ReleaseStatus.RolledBack : ReleaseStatus.InProgress,
            History = [.. record.History, Line(passed ? "rolled back" : "rollback failed: " + report[^1])],
        };
        store.Save(record);
        Say(report, passed ? $"release {record.Id} rolled back" : $"rollback of {record.Id} stopped; fix the cause and run it again");
        return new ApplyResult(record, passed, report);
    }

    private async Task<(ReleaseRecord, bool)> ApplyStepAsync(ReleaseRecord record, ReleaseStep step, List<string> report, CancellationToken cancellationToken)
    {
        Say(report, $"step {step.Number}/{record.Plan.Steps.Count}: {step.Title}");
        GateResult gate;
        try
        {
            CheckDrift(record, step);
            gate = step.Kind switch
            {
                ReleaseStepKind.RootConfig or ReleaseStepKind.Finalize => await WriteBundlesAsync(record, step, cancellationToken).ConfigureAwait(false),
                ReleaseStepKind.ModelConfig => await PublishAsync(record, step, cancellationToken).ConfigureAwait(false),
                ReleaseStepKind.CanaryAnalysis => await gates.CanaryAsync(step.Environments[0], step.Environments[1], cancellationToken).ConfigureAwait(false),
                _ => throw new ReleaseException($"unknown step kind {step.Kind}"),
            };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ReleaseException or BundleException or SignatureException)
        {
            gate = GateResult.Fail($"step {step.Number} failed: {ex.Message}");
        }

        foreach (var line in gate.Report)
        {
            Say(report, "  " + line);
        }

        var status = gate.Passed ? StepStatus.Applied : StepStatus.Failed;
        record = record.WithStep(
            new StepRecord(step.Number, status, timeProvider.GetUtcNow(), gate.Report),
            Line($"step {step.Number} ({Name(step.Kind)}) {(gate.Passed ? "applied" : "failed")}"));
        record = record with { Status = record.Steps.All(s => s.Status == StepStatus.Applied) ? ReleaseStatus.Completed : ReleaseStatus.InProgress };
        store.Save(record);
        if (step.Kind != ReleaseStepKind.CanaryAnalysis)
        {
            foreach (var name in step.Environments)
            {
                WriteState(environments.Get(name), record.Id, $"step {step.Number} {(gate.Passed ? "applied" : "failed")}");
            }
        }

        return (record, gate.Passed);
    }

    private async Task<GateResult> WriteBundlesAsync(ReleaseRecord record, ReleaseStep step, CancellationToken cancellationToken)
    {
        var report = new List<string>();
        foreach (var name in step.Environments)
        {
            var env = environments.Get(name);
            var writes = step.Bundles.Where(b => b.Environment == name).ToList();
            foreach (var write in writes)
            {
                AtomicPublisher.WriteFile(env.BundlePath(write.Bundle), write.Content);
                report.Add($"{name}: wrote {env.BundlePath(write.Bundle)} ({Describe(write.Document, record.Plan.Ships)})");
            }

            var loaded = await gates.BundlesLoadedAsync(env, [.. writes.Select(w => (w.Bundle, w.Sha256))], cancellationToken).ConfigureAwait(false);
            report.AddRange(loaded.Report);
            if (!loaded.Passed)
            {
                return new GateResult(false, report);
            }

            if (step.Kind == ReleaseStepKind.Finalize)
            {
                var expected = record.Plan.Ships.ToDictionary(p => p.Model, p => (string?)p.Version, StringComparer.Ordinal);
                var serving = await gates.LeavesServeAsync(env, expected, [], strict: true, cancellationToken).ConfigureAwait(false);
                report.AddRange(serving.Report);
                if (!serving.Passed)
                {
                    return new GateResult(false, report);
                }
            }
        }

        return new GateResult(true, report);
    }

    private async Task<GateResult> PublishAsync(ReleaseRecord record, ReleaseStep step, CancellationToken cancellationToken)
    {
        var env = environments.Get(step.Environments[0]);
        var report = new List<string>();
        foreach (var publish in step.Publishes)
        {
            var source = ModelArchiveReader.Read(Path.Combine(publish.Source, ModelRepositoryLayout.ModelFileName));
            if (source.Sha256 != publish.SignatureSha256)
            {
                return GateResult.Fail($"{publish.Model}:{publish.Version} in {publish.Source} changed since the plan (signature {source.Sha256}, planned {publish.SignatureSha256}): plan again");
            }

            var destination = env.VersionDirectory(publish.Model, publish.Version);
            if (File.Exists(env.ArchivePath(publish.Model, publish.Version)))
            {
                var there = ModelArchiveReader.Read(env.ArchivePath(publish.Model, publish.Version));
                if (there.Sha256 != publish.SignatureSha256)
                {
                    return GateResult.Fail($"{destination} exists with another signature ({there.Sha256})");
                }

                report.Add($"{env.Name}: {publish.Model}:{publish.Version} already published");
                continue;
            }

            AtomicPublisher.RemoveLitter(Path.GetDirectoryName(destination)!);
            AtomicPublisher.PublishDirectory(publish.Source, destination);
            report.Add($"{env.Name}: published {publish.Model}:{publish.Version} to {destination}");
        }

        var expected = step.Publishes.ToDictionary(p => p.Model, p => (string?)p.Version, StringComparer.Ordinal);
        var serving = await gates.LeavesServeAsync(env, expected, [], strict: false, cancellationToken).ConfigureAwait(false);
        report.AddRange(serving.Report);
        return new GateResult(serving.Passed, report);
    }

    private async Task<bool> RollbackEnvironmentAsync(ReleaseRecord record, EnvironmentDirectory env, EnvironmentSnapshot before, List<string> report, CancellationToken cancellationToken)
    {
        var added = record.Plan.Ships
            .Where(p => env.ListVersions(p.Model).Contains(p.Version, StringComparer.Ordinal)
                && !(before.Models.TryGetValue(p.Model, out var was) && was.Contains(p.Version, StringComparer.Ordinal)))
            .ToList();
        var changed = before.Bundles.Where(b => env.BundleHash(b.Key) != b.Value).Select(b => b.Key).ToList();
        if (added.Count == 0 && changed.Count == 0)
        {
            Say(report, $"{env.Name}: nothing to undo");
            return true;
        }

        if (added.Count > 0)
        {
            // 1. Widen: while leaves switch back, requests naming no version must carry the features
            // of both the version served now and the one being restored.
            var catalog = new SignatureCatalog();
            var widened = new List<(string, string)>();
            foreach (var group in added.GroupBy(p => p.Bundle, StringComparer.Ordinal))
            {
                var existing = env.ReadBundleBytes(group.Key) is { } bytes ? BundleJson.Parse(bytes) : null;
                var models = group.Select(p =>
                {
                    var versions = catalog.Published(env, p.Model, warnings: null);
                    var restored = RestoredDefault(before, p.Model);
                    var widenWith = versions.Where(v => v.Version == restored).ToList();
                    return new ComposedModel(p.Model, versions, p.Version, widenWith);
                });
                var document = BundleComposer.Compose(group.Key, existing, models, timeProvider.GetUtcNow());
                var content = BundleJson.ToUtf8Bytes(document);
                AtomicPublisher.WriteFile(env.BundlePath(group.Key), content);
                widened.Add((group.Key, EnvironmentDirectory.Sha256(content)));
                Say(report, $"{env.Name}: widened {env.BundlePath(group.Key)} for the switch back");
            }

            if (!await GateAsync(gates.BundlesLoadedAsync(env, widened, cancellationToken), report).ConfigureAwait(false))
            {
                return false;
            }

            // 2. Model configs: the added versions leave; leaves go back to the previous default.
            foreach (var pending in added)
            {
                AtomicPublisher.RemoveDirectory(env.VersionDirectory(pending.Model, pending.Version));
                Say(report, $"{env.Name}: removed {pending.Model}:{pending.Version}");
            }

            var expected = added.ToDictionary(p => p.Model, p => RestoredDefault(before, p.Model), StringComparer.Ordinal);
            if (!await GateAsync(gates.LeavesServeAsync(env, expected, [.. added.Select(p => (p.Model, p.Version))], strict: false, cancellationToken), report).ConfigureAwait(false))
            {
                return false;
            }
        }

        // 3. Root configs: the exact files from before the release.
        var restoredFiles = new List<(string, string)>();
        foreach (var (bundle, hash) in before.Bundles)
        {
            if (env.BundleHash(bundle) == hash)
            {
                continue;
            }

            if (store.ReadBackup(record.Id, env.Name, bundle) is { } backup)
            {
                AtomicPublisher.WriteFile(env.BundlePath(bundle), backup);
                restoredFiles.Add((bundle, EnvironmentDirectory.Sha256(backup)));
                Say(report, $"{env.Name}: restored {env.BundlePath(bundle)}");
            }
            else
            {
                File.Delete(env.BundlePath(bundle));
                Say(report, $"{env.Name}: removed {env.BundlePath(bundle)}, which the release created (running roots keep its last allowlists until reconfigured)");
            }
        }

        if (!await GateAsync(gates.BundlesLoadedAsync(env, restoredFiles, cancellationToken), report).ConfigureAwait(false))
        {
            return false;
        }

        return await GateAsync(gates.VerifyAsync(env.Name, strict: true, cancellationToken), report).ConfigureAwait(false);
    }

    private static string? RestoredDefault(EnvironmentSnapshot before, string model) =>
        before.Models.TryGetValue(model, out var versions) && versions.Count > 0 ? versions[^1] : null;

    private async Task<bool> GateAsync(Task<GateResult> gate, List<string> report)
    {
        var result = await gate.ConfigureAwait(false);
        foreach (var line in result.Report)
        {
            Say(report, "  " + line);
        }

        return result.Passed;
    }

    private void CheckDrift(ReleaseRecord record, ReleaseStep step)
    {
        foreach (var name in step.Environments)
        {
            var env = environments.Get(name);
            var before = record.Plan.Before.Single(b => b.Environment == name);
            if (step.Kind is ReleaseStepKind.RootConfig or ReleaseStepKind.Finalize)
            {
                foreach (var write in step.Bundles.Where(b => b.Environment == name))
                {
                    var allowed = record.Plan.Steps
                        .Where(s => s.Number <= step.Number)
                        .SelectMany(s => s.Bundles)
                        .Where(b => b.Environment == name && b.Bundle == write.Bundle)
                        .Select(b => (string?)b.Sha256)
                        .Append(before.Bundles.GetValueOrDefault(write.Bundle));
                    var now = env.BundleHash(write.Bundle);
                    if (!allowed.Contains(now))
                    {
                        throw new ReleaseException($"{name}: {env.BundlePath(write.Bundle)} changed outside release {record.Id} (now {now ?? "absent"}): roll back or plan again");
                    }
                }
            }
            else if (step.Kind == ReleaseStepKind.ModelConfig)
            {
                foreach (var publish in step.Publishes)
                {
                    var was = before.Models.GetValueOrDefault(publish.Model) ?? [];
                    var now = env.ListVersions(publish.Model);
                    var expected = now.Contains(publish.Version, StringComparer.Ordinal) ? [.. was, publish.Version] : was;
                    if (!now.Order(StringComparer.Ordinal).SequenceEqual(expected.Order(StringComparer.Ordinal), StringComparer.Ordinal))
                    {
                        throw new ReleaseException($"{name}: the versions of {publish.Model} changed outside release {record.Id} (planned from [{string.Join(", ", was)}], now [{string.Join(", ", now)}]): roll back or plan again");
                    }
                }
            }
        }
    }

    private void WriteState(EnvironmentDirectory env, string release, string @event) =>
        DeployedStateJson.Write(env.StatePath, DeployedState.Capture(env, timeProvider.GetUtcNow(), release, @event));

    private ReleaseRecord Load(string id)
    {
        try
        {
            return store.Load(id);
        }
        catch (InvalidDataException ex)
        {
            throw new ReleaseException(ex.Message, ex);
        }
    }

    private static string Describe(BundleDocument document, IReadOnlyList<PendingVersion> ships) =>
        string.Join("; ", ships.Where(p => document.Models.ContainsKey(p.Model)).Select(p =>
        {
            var model = document.Models[p.Model];
            return $"{p.Model} latest {model.Latest} ({model.Versions[model.Latest].Features.Count} features), versions {string.Join(", ", model.Versions.Keys)}";
        }));

    private string Line(string text) =>
        string.Create(CultureInfo.InvariantCulture, $"{timeProvider.GetUtcNow():yyyy-MM-dd'T'HH:mm:ss'Z'} {text}");

    private void Say(List<string> report, string line)
    {
        report.Add(line);
        progress?.Invoke(line);
    }

    private static string Name(ReleaseStatus status) => status switch
    {
        ReleaseStatus.InProgress => "in progress",
        ReleaseStatus.RolledBack => "rolled back",
        _ => status.ToString().ToLowerInvariant(),
    };

    private static string Name(ReleaseStepKind kind) => kind switch
    {
        ReleaseStepKind.RootConfig => "root config",
        ReleaseStepKind.ModelConfig => "model config",
        ReleaseStepKind.CanaryAnalysis => "canary analysis",
        _ => "finalize",
    };
}
