using System.Collections.Frozen;
using Arbor.Root.Configuration;

namespace Arbor.Root.Routing;

/// <summary>
/// The immutable routing snapshot built from a <see cref="RootConfig"/>: surface → models (after
/// experiments), model → partition. A request resolves against one snapshot for its whole life.
/// </summary>
public sealed class RoutingTable
{
    private readonly FrozenDictionary<string, ModelRouteConfig> _models;
    private readonly FrozenDictionary<string, SurfaceConfig> _surfaces;

    private RoutingTable(RootConfig config)
    {
        Config = config;
        _models = config.Models.ToFrozenDictionary(StringComparer.Ordinal);
        _surfaces = config.Surfaces.ToFrozenDictionary(StringComparer.Ordinal);
        Partitions = config.Partitions.ToFrozenDictionary(p => p.Key, p => (IReadOnlyList<string>)[.. p.Value.Endpoints], StringComparer.Ordinal);
    }

    public RootConfig Config { get; }

    /// <summary>Partition name → replica base addresses.</summary>
    public FrozenDictionary<string, IReadOnlyList<string>> Partitions { get; }

    public IEnumerable<string> Models => _models.Keys;

    public static RoutingTable Build(RootConfig config)
    {
        var problems = RootConfigLoader.Validate(config);
        if (problems.Count > 0)
        {
            throw new RootConfigException("<routing>", problems);
        }

        return new RoutingTable(config);
    }

    public bool HasSurface(string surface) => _surfaces.ContainsKey(surface);

    /// <summary>
    /// The models that score a request on <paramref name="surface"/> for <paramref name="userId"/>:
    /// the surface's models, with each experiment the user falls into replacing or joining them.
    /// Returns false when the surface is unknown.
    /// </summary>
    public bool TryResolveSurface(string surface, string userId, List<ModelRoute> routes)
    {
        if (!_surfaces.TryGetValue(surface, out var config))
        {
            return false;
        }

        foreach (var model in config.Models)
        {
            var replacement = FindReplacement(config, model, userId);
            routes.Add(replacement is null ? Route(model) : Route(replacement.Model, replacement.Name));
        }

        foreach (var experiment in config.Experiments)
        {
            if (experiment.Replaces is null && UserBucketing.IsIn(experiment.Salt ?? experiment.Name, userId, experiment.Fraction))
            {
                routes.Add(Route(experiment.Model, experiment.Name));
            }
        }

        return true;
    }

    /// <summary>
    /// Every model a request on <paramref name="surface"/> may be scored with, whoever the user:
    /// the surface's models and every experiment's. Returns false when the surface is unknown.
    /// </summary>
    public bool TryListSurfaceRoutes(string surface, List<ModelRoute> routes)
    {
        if (!_surfaces.TryGetValue(surface, out var config))
        {
            return false;
        }

        foreach (var model in config.Models)
        {
            routes.Add(Route(model));
        }

        foreach (var experiment in config.Experiments)
        {
            routes.Add(Route(experiment.Model, experiment.Name));
        }

        return true;
    }

    /// <summary>A model the request names explicitly; false when the routing table does not know it.</summary>
    public bool TryResolveModel(string model, string? version, out ModelRoute route)
    {
        if (!_models.TryGetValue(model, out var config))
        {
            route = null!;
            return false;
        }

        route = new ModelRoute(model, string.IsNullOrEmpty(version) ? config.Version : version, config.Partition, config.Trimming, config.Compression);
        return true;
    }

    private static ExperimentConfig? FindReplacement(SurfaceConfig surface, string model, string userId)
    {
        foreach (var experiment in surface.Experiments)
        {
            if (experiment.Replaces == model && UserBucketing.IsIn(experiment.Salt ?? experiment.Name, userId, experiment.Fraction))
            {
                return experiment;
            }
        }

        return null;
    }

    private ModelRoute Route(string model, string? experiment = null)
    {
        var config = _models[model];
        return new ModelRoute(model, config.Version, config.Partition, config.Trimming, config.Compression, experiment);
    }
}
