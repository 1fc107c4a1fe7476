using Arbor.Root.Configuration;
using Arbor.Root.FanOut;
using Arbor.Root.Hosting;
using Arbor.Root.Routing;
using Arbor.Root.Tests.Configuration;
using Arbor.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Arbor.Root.Tests.Hosting;

public sealed class RootConfigReloaderTests
{
    private static readonly string Changed = RootConfigLoaderTests.ValidConfig.Replace("\"models\": [\"ctr\", \"save\"]", "\"models\": [\"ctr\"]", StringComparison.Ordinal);

    [Fact]
    public void FirstCheck_FileChangedAfterStartUp_PublishesTheChange()
    {
        // The race of a loaded machine: the file changes between the host reading it and the
        // reloader's first look. The first check must compare with what the host started from.
        using var directory = new TempDirectory();
        using var clients = new LeafClientPool(TimeProvider.System);
        var (path, routing, reloader) = StartFrom(directory, clients);
        File.WriteAllText(path, Changed);

        var published = reloader.CheckNow();

        Assert.True(published);
        Assert.Equal(["ctr"], routing.Current.Config.Surfaces["homefeed"].Models);
        Assert.Null(reloader.LastError);
    }

    [Fact]
    public void Check_UnchangedFile_PublishesNothing()
    {
        using var directory = new TempDirectory();
        using var clients = new LeafClientPool(TimeProvider.System);
        var (_, routing, reloader) = StartFrom(directory, clients);
        var before = routing.Current;

        Assert.False(reloader.CheckNow());
        Assert.Same(before, routing.Current);
    }

    /// <summary>What the root host does at start-up: read the file once, route by it, watch it.</summary>
    private static (string Path, RoutingState Routing, RootConfigReloader Reloader) StartFrom(TempDirectory directory, LeafClientPool clients)
    {
        var path = directory.Combine("root.json");
        File.WriteAllText(path, RootConfigLoaderTests.ValidConfig);
        var startup = RootConfigLoader.LoadFile(path);
        var routing = new RoutingState(RoutingTable.Build(startup.Config), clients);
        var reloader = new RootConfigReloader(new RootHostOptions { ConfigPath = path }, startup, routing, new Arbor.Root.Authentication.ApiKeys(null), new Arbor.Root.Authentication.AdminTokens(null), TimeProvider.System, NullLogger<RootConfigReloader>.Instance);
        return (path, routing, reloader);
    }
}
