using System.CommandLine;
using Arbor.Signatures.Archives;
using Arbor.Signatures.Bundles;
using Arbor.Signatures.Registry;
using Arbor.Signatures.Signatures;
using Arbor.Signatures.Validation;

namespace Arbor.Cli.Commands;

/// <summary><c>arbor registry check</c>: do the models need features the feature registry lacks?</summary>
public static class RegistryCommand
{
    public static Command Create()
    {
        var registry = new Option<string>("--registry") { Description = "Feature registry file (feature_registry.json).", Required = true };
        var repo = new Option<string?>("--repo") { Description = "Check every model version signature in this repository." };
        var bundles = new Option<string[]>("--bundle") { Description = "Check the allowlists of these bundle files.", AllowMultipleArgumentsPerToken = true };
        var check = new Command("check", "Report model versions that need features the registry lacks (or has with an unusable type). Exit code 1 when any.")
        {
            registry, repo, bundles,
        };
        check.SetAction((ParseResult result, CancellationToken cancellationToken) =>
        {
            try
            {
                var features = FeatureRegistryJson.ReadFile(result.GetValue(registry)!);
                var findings = new List<RegistryFinding>();
                var checkedVersions = 0;
                if (result.GetValue(repo) is { } repository)
                {
                    var signatures = ReadSignatures(repository);
                    checkedVersions += signatures.Count;
                    findings.AddRange(FeatureRegistryCheck.Check(features, signatures));
                }

                foreach (var file in result.GetValue(bundles) ?? [])
                {
                    var bundle = BundleJson.ReadFile(file);
                    checkedVersions += bundle.Models.Values.Sum(m => m.Versions.Count);
                    findings.AddRange(FeatureRegistryCheck.Check(features, bundle));
                }

                foreach (var finding in findings)
                {
                    Console.WriteLine(finding);
                }

                Console.Error.WriteLine($"registry check: {features.Features.Count} registry features, {checkedVersions} model versions, {findings.Count} findings");
                return Task.FromResult(findings.Count == 0 ? 0 : 1);
            }
            catch (ArtefactException ex)
            {
                Console.Error.WriteLine($"error: {ex.Message}");
                return Task.FromResult(2);
            }
        });
        var command = new Command("registry", "Feature registry tools.");
        command.Subcommands.Add(check);
        return command;
    }

    private static List<ModuleInfo> ReadSignatures(string repository)
    {
        var signatures = new List<ModuleInfo>();
        foreach (var model in ModelRepositoryLayout.ListModels(repository))
        {
            foreach (var version in ModelRepositoryLayout.ListVersions(repository, model))
            {
                try
                {
                    signatures.Add(ModelArchiveReader.Read(ModelRepositoryLayout.ModelPath(repository, model, version)).Info);
                }
                catch (SignatureException ex)
                {
                    Console.Error.WriteLine($"warning: {model}/{version}: {ex.Message}");
                }
            }
        }

        return signatures;
    }
}
