using System.CommandLine;

namespace Arbor.Cli;

/// <summary>The <c>arbor</c> command-line tool: runs roots and leaves, builds bundles, benchmarks.</summary>
public static class Program
{
    private static readonly TimeSpan ProcessTerminationGrace = TimeSpan.FromMinutes(10);

    public static Task<int> Main(string[] args)
    {
        var root = new RootCommand("Arbor: root-leaf online ML serving with the Feature Trimmer.");
        root.Subcommands.Add(Commands.BundleCommand.Create());
        root.Subcommands.Add(Commands.SignatureCommand.Create());
        root.Subcommands.Add(Commands.RegistryCommand.Create());
        root.Subcommands.Add(Commands.ModelCommand.Create());
        root.Subcommands.Add(Commands.ReleaseCommand.Create());
        root.Subcommands.Add(Commands.LeafCommand.Create());
        root.Subcommands.Add(Commands.RootServerCommand.Create());
        root.Subcommands.Add(Commands.StoreCommand.Create());
        root.Subcommands.Add(Commands.BenchCommand.Create());
        root.Subcommands.Add(Commands.DemoCommand.Create());
        root.Subcommands.Add(Commands.UpCommand.Create());
        // SIGTERM and Ctrl+C cancel the command's token; the servers then drain (delay + in-flight
        // calls) and exit 0. The default 2 s grace would end the process in the middle of a drain.
        return root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = ProcessTerminationGrace });
    }
}
