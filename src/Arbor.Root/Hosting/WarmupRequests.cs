using Arbor.Contracts.V1;
using Arbor.Features.Values;
using Arbor.Root.Preprocessing;
using Arbor.Root.Routing;
using Arbor.Signatures.Registry;
using Google.Protobuf;

namespace Arbor.Root.Hosting;

/// <summary>
/// The warm-up's synthetic requests, built from the loaded routing and registry: one per surface
/// and one per routed model (named explicitly), each with <c>candidates</c> candidates, sent once
/// each and then the surfaces' in turn (<see cref="Pick"/>). The first
/// <see cref="ClientValueCandidates"/> candidates carry a client value of each candidate feature and
/// every request a value of each context feature, of the feature's raw type (what its transforms
/// take), so that every feature type is parsed, checked, preprocessed and encoded; the other
/// candidates take the path most traffic takes, the cache. User and candidate ids are synthetic
/// (<see cref="IdPrefix"/>: their store reads miss, and every stored feature is missing) unless ids
/// of real entities are given (those of a cache preload): then the requests take turns over them, so
/// that stored values go through the columns and the encoding as in traffic.
/// </summary>
public static class WarmupRequests
{
    /// <summary>The prefix of every synthetic id (request, user and candidate).</summary>
    public const string IdPrefix = "arbor-warmup-";

    /// <summary>Candidates per request with client values: enough to compile that path, few enough that the cache path dominates as in traffic.</summary>
    public const int ClientValueCandidates = 2;

    /// <param name="table">The routing: its surfaces and models.</param>
    /// <param name="features">The registry's features and their pipelines.</param>
    /// <param name="candidates">Candidates per request (capped by <c>limits.max_candidates</c>).</param>
    /// <param name="users">Ids of real users to take turns over; none: a synthetic one.</param>
    /// <param name="candidateIds">Ids of real candidates to take turns over (each request the next ones); none: synthetic ones.</param>
    public static IReadOnlyList<ScoreRequest> Build(RoutingTable table, FeaturePreprocessor features, int candidates, IReadOnlyList<string>? users = null, IReadOnlyList<string>? candidateIds = null)
    {
        // Real ids once each, and no more per request than there are: a request never repeats a candidate.
        var real = candidateIds is { Count: > 0 } ? candidateIds.Distinct(StringComparer.Ordinal).ToArray() : null;
        var count = Math.Min(Math.Min(candidates, table.Config.Limits.MaxCandidates), real?.Length ?? int.MaxValue);
        var ids = new Ids(users is { Count: > 0 } ? users : null, real, count);
        var requests = new List<ScoreRequest>();
        foreach (var surface in table.Config.Surfaces.Keys.Order(StringComparer.Ordinal))
        {
            requests.Add(Request(features, count, surface, model: null, ids, requests.Count));
        }

        foreach (var model in table.Models.Order(StringComparer.Ordinal))
        {
            requests.Add(Request(features, count, surface: null, model, ids, requests.Count));
        }

        return requests;
    }

    /// <summary>
    /// The warm-up's request number <paramref name="sent"/> (from 0) of <paramref name="requests"/>
    /// (as <see cref="Build"/> orders them: the <paramref name="surfaces"/> surfaces' first): each
    /// request once, so that every surface and model is compiled, then the surfaces' requests in turn,
    /// as most traffic is routed. The runtime builds its tier-1 code from the profile of the calls it
    /// sees while warming, so the warm-up's mix should look like traffic's, not like a list of models
    /// called one at a time. Without surfaces, every request in turn.
    /// </summary>
    public static ScoreRequest Pick(IReadOnlyList<ScoreRequest> requests, int surfaces, int sent)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sent);
        return sent < requests.Count || surfaces <= 0
            ? requests[sent % requests.Count]
            : requests[(sent - requests.Count) % Math.Min(surfaces, requests.Count)];
    }

    /// <summary>The ids of request <c>r</c>: real ones in turn when given, else synthetic.</summary>
    private sealed record Ids(IReadOnlyList<string>? Users, IReadOnlyList<string>? Candidates, int PerRequest)
    {
        public string User(int request) => Users is null ? IdPrefix + "user" : Users[request % Users.Count];

        public string Candidate(int request, int i) =>
            Candidates is null ? $"{IdPrefix}{i}" : Candidates[(int)(((long)request * PerRequest + i) % Candidates.Count)];
    }

    private static ScoreRequest Request(FeaturePreprocessor features, int candidates, string? surface, string? model, Ids ids, int index)
    {
        var request = new ScoreRequest { RequestId = IdPrefix + (surface ?? model), UserId = ids.User(index) };
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
            var candidate = new Candidate { Id = ids.Candidate(index, i) };
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
