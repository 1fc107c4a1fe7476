using Arbor.Contracts.V1;
using Arbor.Root.Routing;
using Arbor.Trimming;

namespace Arbor.Root.ClientTrimming;

/// <summary>GetClientFeatures for gRPC and JSON alike: the view under the routing table and trimmer snapshot in force.</summary>
public sealed class ClientFeatureViewEndpoint(RoutingState routing, FeatureTrimmer trimmer, ClientFeatureViews views)
{
    /// <summary>The view <paramref name="request"/> asks for; unknown surfaces and models throw NOT_FOUND as Score does.</summary>
    public ClientFeatureView Get(ClientFeaturesRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var set = views.For(routing.Current, trimmer.Snapshot, request.Surface, request.Models);
        return set.ToView(request.KnownVersion);
    }
}
