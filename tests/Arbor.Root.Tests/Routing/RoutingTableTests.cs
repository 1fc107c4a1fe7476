using Arbor.Root.Configuration;
using Arbor.Root.Routing;
using Arbor.Root.Tests.Configuration;

namespace Arbor.Root.Tests.Routing;

public sealed class RoutingTableTests
{
    private readonly RoutingTable _table = RoutingTable.Build(RootConfigLoader.Parse(RootConfigLoaderTests.ValidConfig));

    [Fact]
    public void ResolveSurface_UnknownSurface_ReturnsFalse()
    {
        Assert.False(_table.TryResolveSurface("search", "u1", []));
    }

    [Fact]
    public void ResolveSurface_UserInExperiment_GetsVariantInsteadOfProduction()
    {
        var inExperiment = FindUser(u => UserBucketing.IsIn("exp_a", u, 0.25));
        var routes = new List<ModelRoute>();

        Assert.True(_table.TryResolveSurface("homefeed", inExperiment, routes));

        Assert.Equal(["ctr_exp", "save"], routes.Select(r => r.Model));
        Assert.Equal("exp_a", routes[0].Experiment);
        Assert.Equal("3", routes[0].Version);
    }

    [Fact]
    public void ResolveSurface_UserOutsideExperiment_GetsProductionModels()
    {
        var outside = FindUser(u => !UserBucketing.IsIn("exp_a", u, 0.25));
        var routes = new List<ModelRoute>();

        _table.TryResolveSurface("homefeed", outside, routes);

        Assert.Equal(["ctr", "save"], routes.Select(r => r.Model));
        Assert.All(routes, r => Assert.Null(r.Experiment));
        Assert.Equal("homefeed", routes[0].Partition);
    }

    [Fact]
    public void ResolveSurface_AdditiveExperiment_JoinsTheSurfaceModels()
    {
        var config = RootConfigLoader.Parse(RootConfigLoaderTests.ValidConfig);
        config.Surfaces["homefeed"].Experiments[0] = config.Surfaces["homefeed"].Experiments[0] with { Replaces = null, Fraction = 1.0 };
        var table = RoutingTable.Build(config);
        var routes = new List<ModelRoute>();

        table.TryResolveSurface("homefeed", "anyone", routes);

        Assert.Equal(["ctr", "save", "ctr_exp"], routes.Select(r => r.Model));
    }

    [Fact]
    public void ResolveModel_ExplicitVersion_OverridesConfiguredVersion()
    {
        Assert.True(_table.TryResolveModel("ctr_exp", "9", out var route));
        Assert.Equal("9", route.Version);
        Assert.True(_table.TryResolveModel("ctr_exp", null, out route));
        Assert.Equal("3", route.Version);
        Assert.False(_table.TryResolveModel("ghost", null, out _));
    }

    [Fact]
    public void ResolveModel_PerModelSwitches_AreCarried()
    {
        _table.TryResolveModel("save", null, out var route);

        Assert.False(route.Trimming);
        Assert.Equal("zstd", route.Compression);
    }

    private static string FindUser(Func<string, bool> predicate)
    {
        for (var i = 0; i < 10_000; i++)
        {
            var user = $"user-{i}";
            if (predicate(user))
            {
                return user;
            }
        }

        throw new InvalidOperationException("no user found");
    }
}
