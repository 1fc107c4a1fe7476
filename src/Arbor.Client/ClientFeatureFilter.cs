using Arbor.Contracts.V1;

namespace Arbor.Client;

/// <summary>Builds the request a client sends: the caller's request with only the features of a view.</summary>
public static class ClientFeatureFilter
{
    /// <summary>
    /// A copy of <paramref name="request"/> carrying only the candidate and context features in
    /// <paramref name="view"/>, stamped with the view's version. Feature values are shared with
    /// <paramref name="request"/> (not copied); the caller's request is left as it was.
    /// </summary>
    public static ScoreRequest Apply(ScoreRequest request, ClientFeatureSelection view)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(view);
        // Every field of ScoreRequest is carried over here (a test checks the list against the
        // message's descriptor, so a field added later cannot be dropped silently).
        var trimmed = new ScoreRequest
        {
            Surface = request.Surface,
            UserId = request.UserId,
            RequestId = request.RequestId,
            ClientFeaturesVersion = view.Version,
        };
        trimmed.Models.Add(request.Models);
        foreach (var (name, value) in request.Context)
        {
            if (view.ContextFeatures.Contains(name))
            {
                trimmed.Context.Add(name, value);
            }
        }

        foreach (var candidate in request.Candidates)
        {
            var copy = new Candidate { Id = candidate.Id };
            foreach (var (name, value) in candidate.Features)
            {
                if (view.CandidateFeatures.Contains(name))
                {
                    copy.Features.Add(name, value);
                }
            }

            trimmed.Candidates.Add(copy);
        }

        return trimmed;
    }
}
