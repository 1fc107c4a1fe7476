using System.CommandLine;
using Arbor.Leaf.Checking;
using Arbor.Signatures.Registry;

namespace Arbor.Cli.Commands;

/// <summary><c>arbor model check</c>: load each model version as a leaf would and check it against its signature and the feature registry.</summary>
public static class ModelCommand
{
    public static Command Create()
    {
        var repo = new Argument<string>("repository") { Description = "Model repository (<repo>/<model>/<version>/model.pt)." };
        var model = new Option<string?>("--model") { Description = "Check only this model (every version unless --version is given)." };
        var version = new Option<string?>("--version") { Description = "Check only this version of --model." };
        var registry = new Option<string?>("--registry") { Description = "Feature registry to check the signatures against (default: <repo>/feature_registry.json when it exists)." };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON." };
        var device = new Option<string>("--device") { Description = "Device to load the models on (cpu, cuda, cuda:N).", DefaultValueFactory = _ => "cpu" };
        var check = new Command(
            "check",
            "Load each model version with libtorch, run forward on batches built from its signature (1 and 17 rows), check the scores' shape and dtype, and check every input against the feature registry. Exit code 0 when clean, 1 when any problem, 2 when the check cannot run.")
        {
            repo, model, version, registry, json, device,
        };
        check.SetAction((ParseResult result, CancellationToken cancellationToken) =>
        {
            var repository = result.GetValue(repo)!;
            try
            {
                var registryPath = result.GetValue(registry) ?? DefaultRegistry(repository);
                var features = registryPath is null ? null : FeatureRegistryJson.ReadFile(registryPath);
                var report = RepositoryCheck.Run(
                    new ModelChecker(result.GetValue(device)!), repository, features, registryPath, result.GetValue(model), result.GetValue(version));
                if (result.GetValue(json))
                {
                    Console.Out.Write(report.ToJson());
                }
                else
                {
                    report.WriteText(Console.Out);
                }

                return Task.FromResult(report.Clean ? 0 : 1);
            }
            catch (Exception ex) when (ex is FeatureRegistryException or ArgumentException)
            {
                Console.Error.WriteLine($"error: {ex.Message}");
                return Task.FromResult(2);
            }
        });
        var command = new Command("model", "Model version tools.");
        command.Subcommands.Add(check);
        return command;
    }

    /// <summary>The repository's own feature registry, when it has one.</summary>
    internal static string? DefaultRegistry(string repository)
    {
        var path = Path.Combine(repository, "feature_registry.json");
        return File.Exists(path) ? path : null;
    }
}
