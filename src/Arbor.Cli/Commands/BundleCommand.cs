using System.CommandLine;
using System.Globalization;
using Arbor.Leaf.Checking;
using Arbor.Signatures.Bundles;
using Arbor.Signatures.Registry;
using Arbor.Signatures.Validation;

namespace Arbor.Cli.Commands;

/// <summary><c>arbor bundle build|validate</c>: bundle mapping files (model → version → allowlist) for roots.</summary>
public static class BundleCommand
{
    public static Command Create()
    {
        var command = new Command("bundle", "Build and validate bundle mapping files (allowlists for the root's Feature Trimmer).");
        command.Subcommands.Add(CreateBuild());
        command.Subcommands.Add(CreateValidate());
        return command;
    }

    private static Command CreateBuild()
    {
        var repo = new Option<string>("--repo") { Description = "Model repository (<repo>/<model>/<version>/model.pt).", Required = true };
        var bundle = new Option<string>("--bundle") { Description = "Bundle name (e.g. the leaf partition).", Required = true };
        var models = new Option<string?>("--models") { Description = "Comma-separated models to include (every version of each)." };
        var versions = new Option<string?>("--versions") { Description = "Comma-separated model:version pairs to include (e.g. current and pending during a rollout)." };
        var latest = new Option<string?>("--latest") { Description = "Comma-separated model:version pairs naming each model's latest (default: greatest included version)." };
        var generatedAt = new Option<string?>("--generated-at") { Description = "Timestamp to record instead of now (ISO 8601), for reproducible output." };
        var output = new Option<string?>("--out") { Description = "Bundle file to write (atomically); standard output when absent." };
        var registry = new Option<string?>("--registry")
        {
            Description = "Feature registry: run the model check (arbor model check) on every included version and never make one that fails it latest.",
        };
        var command = new Command("build", "Build a bundle file from the signatures of a repository's model versions. Versions without a valid signature are skipped with a warning.")
        {
            repo, bundle, models, versions, latest, generatedAt, output, registry,
        };
        command.SetAction((ParseResult result, CancellationToken cancellationToken) =>
        {
            try
            {
                var time = result.GetValue(generatedAt) is { } stamp
                    ? new FixedTimeProvider(DateTimeOffset.Parse(stamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal))
                    : TimeProvider.System;
                var registryPath = result.GetValue(registry);
                var request = new BundleBuildRequest(
                    result.GetValue(repo)!,
                    result.GetValue(bundle)!,
                    SplitList(result.GetValue(models)),
                    SplitList(result.GetValue(versions))?.Select(ModelVersionRef.Parse).ToList(),
                    SplitList(result.GetValue(latest))?.Select(ModelVersionRef.Parse).ToDictionary(v => v.Model, v => v.Version, StringComparer.Ordinal),
                    registryPath is null ? null : new ModelChecker(),
                    registryPath is null ? null : FeatureRegistryJson.ReadFile(registryPath));
                var built = new BundleBuilder(time).Build(request);
                foreach (var warning in built.Warnings)
                {
                    Console.Error.WriteLine($"warning: {warning}");
                }

                var bytes = BundleJson.ToUtf8Bytes(built.Document);
                var path = result.GetValue(output);
                if (path is null or "-")
                {
                    using var stdout = Console.OpenStandardOutput();
                    stdout.Write(bytes);
                }
                else
                {
                    WriteAtomically(path, bytes);
                }

                var versionCount = built.Document.Models.Values.Sum(m => m.Versions.Count);
                Console.Error.WriteLine($"bundle {built.Document.Bundle}: {built.Document.Models.Count} models, {versionCount} versions, {built.Warnings.Count} warnings{(path is null or "-" ? "" : $" -> {path}")}");
                return Task.FromResult(0);
            }
            catch (Exception ex) when (ex is ArtefactException or FormatException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"error: {ex.Message}");
                return Task.FromResult(1);
            }
        });
        return command;
    }

    private static Command CreateValidate()
    {
        var files = new Argument<string[]>("files") { Description = "Bundle files to validate.", Arity = ArgumentArity.OneOrMore };
        var command = new Command("validate", "Validate bundle files; prints each problem with its JSON path.") { files };
        command.SetAction((ParseResult result, CancellationToken cancellationToken) =>
        {
            var failed = 0;
            foreach (var file in result.GetValue(files)!)
            {
                try
                {
                    var document = BundleJson.ReadFile(file);
                    Console.WriteLine($"{file}: ok (bundle {document.Bundle}, {document.Models.Count} models, {document.Models.Values.Sum(m => m.Versions.Count)} versions)");
                }
                catch (BundleException ex)
                {
                    Console.Error.WriteLine($"error: {ex.Message}");
                    failed++;
                }
            }

            return Task.FromResult(failed == 0 ? 0 : 1);
        });
        return command;
    }

    private static List<string>? SplitList(string? text) =>
        string.IsNullOrWhiteSpace(text)
            ? null
            : text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();

    // Write-then-rename so a root watching the file never reads a half-written bundle.
    private static void WriteAtomically(string path, byte[] bytes)
    {
        var full = Path.GetFullPath(path);
        var temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, full, overwrite: true);
    }

    private sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
