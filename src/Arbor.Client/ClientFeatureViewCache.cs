using System.Collections.Concurrent;
using Arbor.Contracts.V1;
using Google.Protobuf.Collections;
using Grpc.Core;
using RootClient = Arbor.Contracts.V1.Root.RootClient;

namespace Arbor.Client;

/// <summary>
/// The views a client has fetched, per surface or model list: the first call for a key fetches it
/// (concurrent callers share that fetch), later calls use it and, once it is older than the
/// refresh interval, check it again in the background (an answer of <c>unchanged</c> costs a few
/// bytes). A root that cannot say (no GetClientFeatures: UNIMPLEMENTED) gets untrimmed requests.
/// </summary>
internal sealed class ClientFeatureViewCache(RootClient client, ArborRootClientOptions options)
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private long _fetches;

    /// <summary>GetClientFeatures calls made (first fetches, checks and refreshes after a refusal).</summary>
    public long Fetches => Interlocked.Read(ref _fetches);

    /// <summary>The view for the request's surface or models; null means "send every feature".</summary>
    public async ValueTask<ClientFeatureSelection?> GetAsync(ScoreRequest request, CallOptions callOptions)
    {
        var entry = _entries.GetOrAdd(Key(request.Surface, request.Models), static _ => new Entry());
        var held = entry.Current;
        if (held is null)
        {
            return await entry.FetchAsync(this, request, callOptions, force: false).ConfigureAwait(false);
        }

        if (options.TimeProvider.GetUtcNow() - held.FetchedAt >= options.RefreshInterval)
        {
            // In the background, bounded by its own deadline: this call goes on with the held view.
            _ = entry.FetchAsync(this, request, new CallOptions(callOptions.Headers, options.TimeProvider.GetUtcNow().UtcDateTime + options.RefreshInterval), force: false);
        }

        return held.Selection;
    }

    /// <summary>Fetches the view again after the root refused a request trimmed to the held one.</summary>
    public ValueTask<ClientFeatureSelection?> RefreshAsync(ScoreRequest request, CallOptions callOptions)
    {
        var entry = _entries.GetOrAdd(Key(request.Surface, request.Models), static _ => new Entry());
        return entry.FetchAsync(this, request, callOptions, force: true);
    }

    private async Task<Held?> FetchCoreAsync(ScoreRequest request, Held? held, CallOptions callOptions)
    {
        var ask = new ClientFeaturesRequest { Surface = request.Surface, KnownVersion = held?.Selection?.Version ?? "" };
        ask.Models.Add(request.Models);
        Interlocked.Increment(ref _fetches);
        try
        {
            var view = await client.GetClientFeaturesAsync(ask, callOptions).ResponseAsync.ConfigureAwait(false);
            var now = options.TimeProvider.GetUtcNow();
            return view.Unchanged && held is not null ? held with { FetchedAt = now } : new Held(new ClientFeatureSelection(view), now);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unimplemented)
        {
            // A root without client trimming: send everything until the next check.
            return new Held(null, options.TimeProvider.GetUtcNow());
        }
        catch (RpcException)
        {
            // Whatever failed here (an unknown surface, an unavailable root) the Score call itself
            // reports; it goes untrimmed meanwhile.
            return null;
        }
    }

    private static string Key(string surface, RepeatedField<ModelSelector> models)
    {
        if (models.Count == 0)
        {
            return "s\0" + surface;
        }

        var parts = new string[models.Count];
        for (var i = 0; i < parts.Length; i++)
        {
            parts[i] = models[i].Name + "\0" + models[i].Version;
        }

        Array.Sort(parts, StringComparer.Ordinal);
        return "m\0" + string.Join('\u0001', parts);
    }

    /// <summary>A fetched view (null: send every feature) and when it was fetched or last confirmed.</summary>
    private sealed record Held(ClientFeatureSelection? Selection, DateTimeOffset FetchedAt);

    private sealed class Entry
    {
        private readonly Lock _lock = new();
        private Task<Held?>? _fetch;
        private volatile Held? _current;

        public Held? Current => _current;

        public async ValueTask<ClientFeatureSelection?> FetchAsync(ClientFeatureViewCache cache, ScoreRequest request, CallOptions callOptions, bool force)
        {
            Task<Held?> fetch;
            lock (_lock)
            {
                if (_fetch is null || (force && _fetch.IsCompleted))
                {
                    var held = force ? null : _current;
                    _fetch = cache.FetchCoreAsync(request, held, callOptions);
                }

                fetch = _fetch;
            }

            Held? result;
            try
            {
                result = await fetch.ConfigureAwait(false);
            }
            finally
            {
                lock (_lock)
                {
                    if (ReferenceEquals(_fetch, fetch) && fetch.IsCompleted)
                    {
                        _fetch = null;
                    }
                }
            }

            if (result is not null)
            {
                _current = result;
            }

            return result?.Selection;
        }
    }
}
