using Arbor.Contracts.V1;
using Arbor.Features.Values;
using Arbor.Root.Preprocessing;
using Arbor.Root.Routing;
using Arbor.Signatures.Registry;
using Google.Protobuf;

namespace Arbor.Root.Hosting;

/// <summary>
/// The warm-up's synthetic requests, built from the loaded routing and registry: one per surface
/// and one per routed model (named explicitly), each with <c>candidates</c> candidates. The first
/// <see cref="ClientValueCandidates"/> candidates carry a client value of each candidate feature and
/// every request a value of each context feature, of the feature's raw type (what its transforms
/// take), so that every feature type is parsed, checked, preprocessed and encoded; the other
/// candidates take the path most traffic takes, the cache; user and
/// candidate ids are synthetic (<see cref="IdPrefix"/>): their store reads miss.
/// </summary>
public static class WarmupRequests
{
    /// <summary>The prefix of every synthetic id (request, user and candidate).</summary>
    public const string IdPrefix = "arbor-warmup-";

    /// <summary>Candidates per request with client values: enough to compile that path, few enough that the cache path dominates as in traffic.</summary>
    public const int ClientValueCandidates = 2;

    public static IReadOnlyList<ScoreRequest> Build(RoutingTable table, FeaturePreprocessor features, int candidates)
    {
        var count = Math.Min(candidates, table.Config.Limits.MaxCandidates);
        var requests = new List<ScoreRequest>();
        foreach (var surface in table.Config.Surfaces.Keys.Order(StringComparer.Ordinal))
        {
            requests.Add(Request(features, count, surface, model: null));
        }

        foreach (var model in table.Models.Order(StringComparer.Ordinal))
        {
            requests.Add(Request(features, count, surface: null, model));
        }

        return requests;
    }

    private static ScoreRequest Request(FeaturePreprocessor features, int candidates, string? surface, string? model)
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

        foreach (var feature in features.Registry.Features)
        {
            if (feature.Entity == FeatureEntity.Context && ValueOf(features, feature) is { } value)
            {
                request.Context[feature.Name] = value;
            }
        }

        for (var i = 0; i < candidates; i++)
        {
            var candidate = new Candidate { Id = $"{IdPrefix}{i}" };
            if (i < ClientValueCandidates)
            {
                foreach (var feature in features.Registry.Features)
                {
                    if (feature.Entity == FeatureEntity.Candidate && ValueOf(features, feature) is { } value)
                    {
                        candidate.Features[feature.Name] = value;
                    }
                }
            }

            request.Candidates.Add(candidate);
        }

        return request;
    }

    /// <summary>A valid value of the feature's raw type (ids inside its declared range).</summary>
    private static FeatureValue? ValueOf(FeaturePreprocessor features, FeatureDefinition feature)
    {
        var raw = features.TryGetPipeline(feature.Name, out var pipeline) ? pipeline.InputKind : feature.Type;
        switch (raw)
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
