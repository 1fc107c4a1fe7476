using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Arbor.Trimming.Admin;

/// <summary>Maps the trimmer's admin endpoints (JSON, read-only).</summary>
public static class TrimmerAdminEndpoints
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        WriteIndented = true,
        // A shadow mismatch against a NaN or infinite score has an infinite max |diff|.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>
    /// Maps <c>GET {prefix}</c> (the <see cref="TrimmerStatus"/>: every bundle's state, content hash,
    /// last successful load, last error, staleness and allowlist sizes) and <c>GET {prefix}/health</c>.
    /// </summary>
    public static RouteGroupBuilder MapTrimmerAdmin(this IEndpointRouteBuilder endpoints, string prefix = "/admin/trimmer")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var group = endpoints.MapGroup(prefix);
        group.MapGet("/", (FeatureTrimmer trimmer) => Results.Json(trimmer.GetStatus(), JsonOptions));
        group.MapGet("/health", (FeatureTrimmer trimmer) =>
        {
            // Always 200: a degraded trimmer sends bigger requests, not wrong ones; never fail a probe on it.
            return Results.Json(trimmer.GetHealth(), JsonOptions);
        });
        return group;
    }
}
