using Arbor.FeatureStore.Redis;
using Npgsql;

namespace Arbor.FeatureStore.Native;

/// <summary>
/// Opens a store from one configuration string: a PostgreSQL URL (<c>postgres://user:pass@host:port/db</c>)
/// or Npgsql connection string (<c>Host=...;Database=...</c>) selects <see cref="PostgresFeatureStore"/>;
/// a Redis URL (<c>redis://host:port[/db][?prefix=arbor:]</c>, <see cref="RedisLocation"/>) selects
/// <see cref="RedisFeatureStore"/>; anything else is the path of a <see cref="SqliteFeatureStore"/> file.
/// </summary>
public static class FeatureStoreLocation
{
    public static IFeatureStore Open(string location)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(location);
        if (RedisLocation.IsRedis(location))
        {
            return new RedisFeatureStore(location, RedisLocation.KeyPrefix(location));
        }

        if (location.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || location.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            return new PostgresFeatureStore(FromUrl(new Uri(location)));
        }

        if (location.StartsWith("Host=", StringComparison.OrdinalIgnoreCase) || location.Contains(";Host=", StringComparison.OrdinalIgnoreCase))
        {
            return new PostgresFeatureStore(location);
        }

        return new SqliteFeatureStore(location);
    }

    /// <summary>A human-readable form that never shows a password.</summary>
    public static string Describe(string location)
    {
        if (RedisLocation.IsRedis(location))
        {
            return RedisLocation.Describe(location);
        }

        var store = location.Contains("://", StringComparison.Ordinal) || location.Contains("Host=", StringComparison.OrdinalIgnoreCase)
            ? "postgresql"
            : "sqlite";
        if (store == "sqlite")
        {
            return $"sqlite {Path.GetFullPath(location)}";
        }

        var builder = location.Contains("://", StringComparison.Ordinal)
            ? new NpgsqlConnectionStringBuilder(FromUrl(new Uri(location)))
            : new NpgsqlConnectionStringBuilder(location);
        return $"postgresql {builder.Host}:{builder.Port}/{builder.Database}";
    }

    private static string FromUrl(Uri url)
    {
        var builder = new NpgsqlConnectionStringBuilder { Host = url.Host };
        if (url.Port > 0)
        {
            builder.Port = url.Port;
        }

        var database = url.AbsolutePath.TrimStart('/');
        if (database.Length > 0)
        {
            builder.Database = Uri.UnescapeDataString(database);
        }

        if (url.UserInfo.Length > 0)
        {
            var parts = url.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2)
            {
                builder.Password = Uri.UnescapeDataString(parts[1]);
            }
        }

        return builder.ConnectionString;
    }
}
