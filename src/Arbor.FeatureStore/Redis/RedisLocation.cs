using System.Net;
using StackExchange.Redis;

namespace Arbor.FeatureStore.Redis;

/// <summary>
/// Reads a Redis location: a URL (<c>redis://[user:password@]host:port[/db]</c>, <c>rediss://</c> for
/// TLS; <c>?prefix=...</c> sets the key prefix) or a StackExchange.Redis configuration string (<c>host:port,password=...,ssl=true</c>).
/// </summary>
public static class RedisLocation
{
    public static bool IsRedis(string location) =>
        location.StartsWith("redis://", StringComparison.OrdinalIgnoreCase) || location.StartsWith("rediss://", StringComparison.OrdinalIgnoreCase);

    /// <summary>The client options of <paramref name="location"/>; throws <see cref="ArgumentException"/> when it cannot be read (never echoing it).</summary>
    public static ConfigurationOptions Parse(string location)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(location);
        try
        {
            return IsRedis(location) ? FromUrl(new Uri(location)) : ConfigurationOptions.Parse(location);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or RedisConnectionException)
        {
            // The message of the parser may quote the string, password included.
            throw new ArgumentException("The Redis connection string cannot be read (expected redis://host:port or host:port,password=...).");
        }
    }

    /// <summary>The key prefix a URL names (<c>?prefix=...</c>), or <see cref="RedisFeatureStore.DefaultKeyPrefix"/>.</summary>
    public static string KeyPrefix(string location)
    {
        if (!IsRedis(location) || !Uri.TryCreate(location, UriKind.Absolute, out var url))
        {
            return RedisFeatureStore.DefaultKeyPrefix;
        }

        foreach (var pair in url.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split('=', 2);
            if (parts.Length == 2 && parts[0] == "prefix")
            {
                return Uri.UnescapeDataString(parts[1]);
            }
        }

        return RedisFeatureStore.DefaultKeyPrefix;
    }

    /// <summary>A human-readable form that never shows a password.</summary>
    public static string Describe(string location)
    {
        var options = Parse(location);
        return $"redis {string.Join(",", options.EndPoints.Select(HostAndPort))}/{options.DefaultDatabase ?? 0}";
    }

    private static string HostAndPort(EndPoint endpoint) => endpoint switch
    {
        DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        IPEndPoint ip => ip.ToString(),
        _ => endpoint.ToString() ?? string.Empty,
    };

    private static ConfigurationOptions FromUrl(Uri url)
    {
        var options = new ConfigurationOptions { Ssl = url.Scheme.Equals("rediss", StringComparison.OrdinalIgnoreCase) };
        options.EndPoints.Add(url.Host, url.Port > 0 ? url.Port : 6379);
        var database = url.AbsolutePath.Trim('/');
        if (database.Length > 0)
        {
            options.DefaultDatabase = int.Parse(database, System.Globalization.CultureInfo.InvariantCulture);
        }

        if (url.UserInfo.Length > 0)
        {
            var parts = url.UserInfo.Split(':', 2);
            if (parts.Length == 2)
            {
                if (parts[0].Length > 0)
                {
                    options.User = Uri.UnescapeDataString(parts[0]);
                }

                options.Password = Uri.UnescapeDataString(parts[1]);
            }
            else
            {
                options.Password = Uri.UnescapeDataString(parts[0]);
            }
        }

        return options;
    }
}
