using System.Text.Json;

namespace Arbor.Release.Verification;

/// <summary>Reads a live root's admin endpoints (<c>/admin/trimmer</c>, <c>/admin/stats</c>) on its HTTP port.</summary>
public sealed class RootAdminClient(HttpClient http)
{
    public async Task<RootTrimmerView> GetTrimmerAsync(Uri root, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(root);
        using var document = await GetJsonAsync(new Uri(root, "/admin/trimmer"), cancellationToken).ConfigureAwait(false);
        var bundles = new List<RootBundleView>();
        foreach (var bundle in JsonFields.Array(document.RootElement, "bundles"))
        {
            var models = new List<RootModelView>();
            foreach (var model in JsonFields.Array(bundle, "models"))
            {
                var versions = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var version in JsonFields.Array(model, "versions"))
                {
                    if (JsonFields.String(version, "version") is { } name)
                    {
                        versions[name] = JsonFields.String(version, "signature_sha256") ?? "";
                    }
                }

                models.Add(new RootModelView(
                    JsonFields.String(model, "model") ?? throw Invalid(root, "a bundle model has no name"),
                    JsonFields.String(model, "latest") ?? "",
                    JsonFields.Bool(model, "shadowed"),
                    versions));
            }

            bundles.Add(new RootBundleView(
                JsonFields.String(bundle, "id") ?? "",
                JsonFields.String(bundle, "bundle"),
                (JsonFields.String(bundle, "state") ?? "unknown").ToLowerInvariant(),
                JsonFields.String(bundle, "content_hash"),
                JsonFields.String(bundle, "last_error"),
                models));
        }

        return new RootTrimmerView(root, bundles);
    }

    /// <summary>
    /// Shadow verification per model at a root (<c>/admin/trimmer</c> <c>shadow</c>, summed over the
    /// model's versions): sampled trimmed calls compared with untrimmed twins, and mismatches.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, RootShadowStats>> GetShadowAsync(Uri root, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(root);
        using var document = await GetJsonAsync(new Uri(root, "/admin/trimmer"), cancellationToken).ConfigureAwait(false);
        var shadow = new Dictionary<string, RootShadowStats>(StringComparer.Ordinal);
        foreach (var entry in JsonFields.Array(document.RootElement, "shadow"))
        {
            var model = JsonFields.String(entry, "model") ?? throw Invalid(root, "a shadow entry has no model");
            var sum = shadow.GetValueOrDefault(model) ?? new RootShadowStats(0, 0);
            shadow[model] = new RootShadowStats(
                sum.Samples + (long)(JsonFields.Number(entry, "samples") ?? 0),
                sum.Mismatches + (long)(JsonFields.Number(entry, "mismatches") ?? 0));
        }

        return shadow;
    }

    public async Task<RootStats> GetStatsAsync(Uri root, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(root);
        using var document = await GetJsonAsync(new Uri(root, "/admin/stats"), cancellationToken).ConfigureAwait(false);
        var json = document.RootElement;
        string[] names = ["requests", "errors", "candidates", "p50_ms", "p99_ms", "leaf_bytes_sent", "untrimmed_calls", "trimmed_calls"];
        var values = names.Select(n => JsonFields.Number(json, n)).ToArray();
        var missing = names.Where((_, i) => values[i] is null).ToList();
        if (missing.Count > 0)
        {
            throw Invalid(root, $"/admin/stats lacks {string.Join(", ", missing)}");
        }

        // Per-model results (a model failing inside an answered request): absent from older roots.
        return new RootStats(
            (long)values[0]!.Value, (long)values[1]!.Value, (long)values[2]!.Value, values[3]!.Value, values[4]!.Value,
            (long)values[5]!.Value, (long)values[6]!.Value, (long)values[7]!.Value,
            (long)(JsonFields.Number(json, "model_results") ?? 0), (long)(JsonFields.Number(json, "model_errors") ?? 0),
            ModelStats(json));
    }

    /// <summary>The per-model counters (<c>models</c>), empty from roots that do not report them.</summary>
    private static Dictionary<string, RootModelStats> ModelStats(JsonElement json)
    {
        var models = new Dictionary<string, RootModelStats>(StringComparer.Ordinal);
        if (JsonFields.TryGet(json, "models", out var element) && element.ValueKind == JsonValueKind.Object)
        {
            foreach (var model in element.EnumerateObject())
            {
                models[model.Name] = new RootModelStats(
                    (long)(JsonFields.Number(model.Value, "results") ?? 0),
                    (long)(JsonFields.Number(model.Value, "errors") ?? 0),
                    JsonFields.Number(model.Value, "p99_ms") ?? 0);
            }
        }

        return models;
    }

    private async Task<JsonDocument> GetJsonAsync(Uri uri, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(uri, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"GET {uri} answered {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
        }

        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return JsonDocument.Parse(bytes);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"GET {uri} did not answer JSON: {ex.Message}", ex);
        }
    }

    private static InvalidDataException Invalid(Uri root, string message) => new($"root {root}: {message}");
}
