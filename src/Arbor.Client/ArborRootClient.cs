using Arbor.Contracts.V1;
using Grpc.Core;
using Grpc.Core.Interceptors;
using RootClient = Arbor.Contracts.V1.Root.RootClient;

namespace Arbor.Client;

/// <summary>
/// Calls an Arbor root's Score method and sends only the client-supplied features that the routed
/// models can use: it caches the root's view of them per surface (or model list), drops the
/// others from each request, and stamps the request with the view's version. When routing or
/// allowlists change, the root refuses a request trimmed to an old view (FAILED_PRECONDITION with
/// the current version in a trailer); the client fetches the view again and resends at once, within
/// the same deadline, so trimming never changes a score.
/// </summary>
public sealed class ArborRootClient
{
    /// <summary>The trailer with which a root names its current view when it refuses a stale one.</summary>
    public const string ViewVersionTrailer = "arbor-client-features-version";

    private readonly RootClient _client;
    private readonly ArborRootClientOptions _options;
    private readonly ClientFeatureViewCache _views;
    private long _resent;

    /// <param name="invoker">The call invoker of a channel to the root (e.g. <c>GrpcChannel.CreateCallInvoker()</c>).</param>
    /// <param name="options">Settings; the defaults trim.</param>
    public ArborRootClient(CallInvoker invoker, ArborRootClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(invoker);
        _options = options ?? new ArborRootClientOptions();
        _client = new RootClient(_options.ApiKey is { Length: > 0 } key ? WithApiKey(invoker, key) : invoker);
        _views = new ClientFeatureViewCache(_client, _options);
    }

    /// <summary>GetClientFeatures calls made so far.</summary>
    public long ViewFetches => _views.Fetches;

    /// <summary>Requests sent again because the root had a newer view.</summary>
    public long Resent => Interlocked.Read(ref _resent);

    /// <summary>Scores <paramref name="request"/> (left unchanged) with its client features trimmed to what the routed models use.</summary>
    public async Task<ScoreResponse> ScoreAsync(ScoreRequest request, CallOptions options = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!_options.TrimClientFeatures || !HasClientFeatures(request))
        {
            return await _client.ScoreAsync(request, options).ResponseAsync.ConfigureAwait(false);
        }

        var view = await _views.GetAsync(request, options).ConfigureAwait(false);
        if (view is null || view.AllFeatures)
        {
            return await _client.ScoreAsync(request, options).ResponseAsync.ConfigureAwait(false);
        }

        try
        {
            return await _client.ScoreAsync(ClientFeatureFilter.Apply(request, view), options).ResponseAsync.ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.FailedPrecondition && e.Trailers.GetValue(ViewVersionTrailer) is not null)
        {
            Interlocked.Increment(ref _resent);
            view = await _views.RefreshAsync(request, options).ConfigureAwait(false);
            var resend = view is null || view.AllFeatures ? request : ClientFeatureFilter.Apply(request, view);
            return await _client.ScoreAsync(resend, options).ResponseAsync.ConfigureAwait(false);
        }
    }

    /// <summary>Adds the key to the headers of every call (Score and GetClientFeatures alike).</summary>
    private static CallInvoker WithApiKey(CallInvoker invoker, string key)
    {
        var authorization = "Bearer " + key;
        return invoker.Intercept(headers =>
        {
            headers.Add(AuthorizationHeader, authorization);
            return headers;
        });
    }

    private const string AuthorizationHeader = "authorization";

    private static bool HasClientFeatures(ScoreRequest request)
    {
        if (request.Context.Count > 0)
        {
            return true;
        }

        foreach (var candidate in request.Candidates)
        {
            if (candidate.Features.Count > 0)
            {
                return true;
            }
        }

        return false;
    }
}
