using Arbor.Contracts.V1;
using Arbor.Features.Values;
using Arbor.Root.Routing;
using Arbor.Signatures.Registry;
using Google.Protobuf;

namespace Arbor.Root.Hosting;

/// <summary>
/// The warm-up's synthetic requests, built from the loaded routing and registry: one per surface
/// and one per routed model (named explicitly), each with <c>candidates</c> candidates. Every
/// second candidate carries a client value of each candidate feature and every request a value of
/// each context feature, so that every feature type is read, checked and encoded; user and
/// candidate ids are synthetic (<see cref="IdPrefix"/>): their store reads miss.
/// </summary>
public static class WarmupRequests
{
    /// <summary>The prefix of every synthetic id (request, user and candidate).</summary>
    public const string IdPrefix = "arbor-warmup-";

    public static IReadOnlyList<ScoreRequest> Build(RoutingTable table, FeatureRegistry registry, int candidates)
    {
        var count = Math.Min(candidates, table.Config.Limits.MaxCandidates);
        var requests = new List<ScoreRequest>();
        foreach (var surface in table.Config.Surfaces.Keys.Order(StringComparer.Ordinal))
        {
            requests.Add(Request(registry, count, surface, model: null));
        }

        foreach (var model in table.Models.Order(StringComparer.Ordinal))
        {
            requests.Add(Request(registry, count, surface: null, model));
        }

        return requests;
    }

    private static ScoreRequest Request(FeatureRegistry registry, int candidates, string? surface, string? model)
    {
        var request = new ScoreRequest { RequestId = IdPrefix + (surface ?? model), UserId = IdPrefix + "user" };
        if (surface is not null)
        {
            request.Surface = surface;
        }

        if (model is not null)
        {
            request.Models.Add(new ModelSelector { Name = model });
        }

        foreach (var feature in registry.Features)
        {
            if (feature.Entity == FeatureEntity.Context && ValueOf(feature) is { } value)
            {
                request.Context[feature.Name] = value;
            }
        }

        for (var i = 0; i < candidates; i++)
        {
            var candidate = new Candidate { Id = $"{IdPrefix}{i}" };
            if (i % 2 == 0)
            {
                foreach (var feature in registry.Features)
                {
                    if (feature.Entity == FeatureEntity.Candidate && ValueOf(feature) is { } value)
                    {
                        candidate.Features[feature.Name] = value;
                    }
                }
            }

            request.Candidates.Add(candidate);
        }

        return request;
    }

    /// <summary>A valid value of the feature's type (ids inside its declared range).</summary>
    private static FeatureValue? ValueOf(FeatureDefinition feature)
    {
        switch (feature.Type)
        {
            case FeatureType.Float:
                return new FeatureValue { FloatValue = 0.5f };
            case FeatureType.Int64:
                return new FeatureValue { Int64Value = 1 };
            case FeatureType.FloatVector:
                var vector = new FloatVector();
                for (var i = 0; i < (feature.Dim ?? 1); i++)
                {
                    vector.Values.Add(0.5f);
                }

                return new FeatureValue { FloatVector = vector };
            case FeatureType.Int64List:
                var ids = FeatureIdRange.Of(feature);
                return new FeatureValue { Int64List = new Int64List { Values = { ids.Min, Math.Min(ids.Min + 1, ids.Max) } } };
            case FeatureType.String:
                return new FeatureValue { StringValue = "warmup" };
            case FeatureType.Bytes:
                return new FeatureValue { BytesValue = ByteString.CopyFromUtf8("warmup") };
            default:
                return null;
        }
    }
}
