using System.CommandLine;

namespace Arbor.Cli;

/// <summary>The <c>arbor</c> command-line tool: runs roots and leaves, builds bundles, benchmarks.</summary>
public static class Program
{
    public static Task<int> Main(string[] args)
    {
        var root = new RootCommand("Arbor: root-leaf online ML serving with the Feature Trimmer.");
        root.Subcommands.Add(Commands.BundleCommand.Create());
        root.Subcommands.Add(Commands.SignatureCommand.Create());
        root.Subcommands.Add(Commands.RegistryCommand.Create());
        root.Subcommands.Add(Commands.ReleaseCommand.Create());
        root.Subcommands.Add(Commands.LeafCommand.Create());
        root.Subcommands.Add(Commands.RootServerCommand.Create());
        root.Subcommands.Add(Commands.StoreCommand.Create());
        root.Subcommands.Add(Commands.BenchCommand.Create());
        root.Subcommands.Add(Commands.DemoCommand.Create());
        root.Subcommands.Add(Commands.UpCommand.Create());
        return root.Parse(args).InvokeAsync();
    }
}
