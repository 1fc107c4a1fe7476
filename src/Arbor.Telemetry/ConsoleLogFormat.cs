using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Arbor.Telemetry;

/// <summary>
/// The console log of a root or leaf: one line per entry, plain (<c>simple</c>) or JSON (<c>json</c>),
/// always with scopes, so that every line written while serving a request carries that request's
/// trace id (ASP.NET Core's request scope), which is also the id a client sees in an error.
/// </summary>
public static class ConsoleLogFormat
{
    public const string Simple = ConsoleFormatterNames.Simple;
    public const string Json = ConsoleFormatterNames.Json;

    // ASP.NET Core and grpc-dotnet write several information lines per request: a serving process
    // logs per request only what goes wrong. The health check service writes an error line for every
    // probe that finds the process unready (every 2 s for a whole drain or start-up): Arbor logs the
    // transitions itself (readiness of the store and of each partition, the drain), so only a check
    // that crashes is left for it to report.
    private static readonly (string Category, LogLevel Level)[] QuietCategories =
    [
        ("Microsoft.AspNetCore", LogLevel.Warning),
        ("Grpc", LogLevel.Warning),
        ("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.Critical),
    ];

    /// <summary>The format to use: <paramref name="configured"/>, else <c>Logging:Console:FormatterName</c>, else simple.</summary>
    /// <exception cref="ArgumentException">An unknown format name.</exception>
    public static string Resolve(string? configured, IConfiguration configuration)
    {
        var format = configured ?? configuration["Logging:Console:FormatterName"];
        return format?.ToLowerInvariant() switch
        {
            null or "" or Simple => Simple,
            Json => Json,
            _ => throw new ArgumentException($"unknown log format '{format}' (simple or json)"),
        };
    }

    /// <summary>Replaces the logging providers with the console in the format <see cref="Resolve"/> picks.</summary>
    public static ILoggingBuilder AddArborConsole(this ILoggingBuilder logging, IConfiguration configuration, string? configuredFormat = null)
    {
        ArgumentNullException.ThrowIfNull(logging);
        ArgumentNullException.ThrowIfNull(configuration);
        var format = Resolve(configuredFormat, configuration);
        logging.ClearProviders();
        if (format == Json)
        {
            logging.AddJsonConsole(json =>
            {
                json.IncludeScopes = true;
                json.UseUtcTimestamp = true;
                json.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }
        else
        {
            logging.AddSimpleConsole(simple =>
            {
                simple.SingleLine = true;
                simple.IncludeScopes = true;
                simple.UseUtcTimestamp = true;
                simple.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            });
        }

        // Unless configuration names a level for them.
        foreach (var (category, level) in QuietCategories)
        {
            if (configuration[$"Logging:LogLevel:{category}"] is null)
            {
                logging.AddFilter(category, level);
            }
        }

        return logging;
    }
}
