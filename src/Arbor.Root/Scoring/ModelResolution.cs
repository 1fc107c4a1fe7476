using Arbor.Contracts.V1;
using Arbor.Root.Configuration;
using Arbor.Root.Routing;
using Google.Protobuf.Collections;
using GrpcStatus = Grpc.Core.Status;
using RpcException = Grpc.Core.RpcException;
using RpcStatusCode = Grpc.Core.StatusCode;

namespace Arbor.Root.Scoring;

/// <summary>
/// Which models a request names: its explicit <c>models</c>, each distinct name and version once (a
/// repeat is scored once and answered once) and at most <c>limits.max_models</c> of them, or its
/// surface's. Unknown names are NOT_FOUND, a request naming neither INVALID_ARGUMENT.
/// </summary>
public static class ModelResolution
{
    /// <summary>The models that score <paramref name="request"/> (its user's experiment arms for a surface).</summary>
    public static List<ModelRoute> Resolve(ScoreQuery request, RoutingTable table, LimitsConfig limits)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(limits);
        var routes = new List<ModelRoute>(Math.Min(Math.Max(request.Models.Count, 4), limits.MaxModels));
        if (request.Models.Count > 0)
        {
            AddExplicit(request.Models, table, limits, routes);
            return routes;
        }

        RequireSurface(request.Surface);
        if (!table.TryResolveSurface(request.Surface, request.UserId, routes))
        {
            throw UnknownSurface(request.Surface, limits);
        }

        return routes;
    }

    /// <summary>Every model that may score a request for <paramref name="surface"/> (every user's experiment arms), or the explicit <paramref name="models"/>.</summary>
    public static List<ModelRoute> AllRoutes(RoutingTable table, string surface, RepeatedField<ModelSelector> models)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(models);
        var limits = table.Config.Limits;
        var routes = new List<ModelRoute>();
        if (models.Count > 0)
        {
            AddExplicit(models, table, limits, routes);
            return routes;
        }

        RequireSurface(surface);
        if (!table.TryListSurfaceRoutes(surface, routes))
        {
            throw UnknownSurface(surface, limits);
        }

        return routes;
    }

    private static void AddExplicit(RepeatedField<ModelSelector> models, RoutingTable table, LimitsConfig limits, List<ModelRoute> routes)
    {
        var seen = new HashSet<(string Name, string Version)>();
        if (models.Count > limits.MaxModels)
        {
            // Too many is said before anything is resolved, whatever the names.
            foreach (var selector in models)
            {
                if (seen.Add((selector.Name, selector.Version)) && seen.Count > limits.MaxModels)
                {
                    throw InvalidArgument($"the request names more than {limits.MaxModels} distinct models; the limit is {limits.MaxModels}");
                }
            }

            seen.Clear();
        }

        foreach (var selector in models)
        {
            if (!seen.Add((selector.Name, selector.Version)))
            {
                continue;
            }

            if (!table.TryResolveModel(selector.Name, selector.Version, out var route))
            {
                throw new RpcException(new GrpcStatus(RpcStatusCode.NotFound, $"unknown model {ClientEcho.Quote(selector.Name, limits.MaxEchoChars)}"));
            }

            routes.Add(route);
        }
    }

    private static void RequireSurface(string surface)
    {
        if (string.IsNullOrEmpty(surface))
        {
            throw InvalidArgument("the request names neither a surface nor models");
        }
    }

    private static RpcException UnknownSurface(string surface, LimitsConfig limits) =>
        new(new GrpcStatus(RpcStatusCode.NotFound, $"unknown surface {ClientEcho.Quote(surface, limits.MaxEchoChars)}"));

    private static RpcException InvalidArgument(string message) => new(new GrpcStatus(RpcStatusCode.InvalidArgument, message));
}
