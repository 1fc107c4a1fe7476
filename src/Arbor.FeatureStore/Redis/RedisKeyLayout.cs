using System.Text;
using Arbor.FeatureStore.Sources;
using StackExchange.Redis;

namespace Arbor.FeatureStore.Redis;

/// <summary>
/// Where a <see cref="RedisFeatureStore"/> keeps things, every key under one prefix: <c>{prefix}{kind}:{id}</c>
/// holds an entity's packed row, <c>{prefix}_names</c> the feature name dictionary (a hash, name → id),
/// <c>{prefix}_names:next</c> the last name id given (ids count from 1, as in the SQL stores), <c>{prefix}_schema</c> the layout version.
/// </summary>
internal sealed class RedisKeyLayout
{
    private readonly string _user;
    private readonly string _candidate;

    public RedisKeyLayout(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        Prefix = prefix;
        _user = prefix + EntityKindNames.User + ":";
        _candidate = prefix + EntityKindNames.Candidate + ":";
        Schema = prefix + "_schema";
        Names = prefix + "_names";
        NextNameId = prefix + "_names:next";
    }

    public string Prefix { get; }

    public RedisKey Schema { get; }

    public RedisKey Names { get; }

    public RedisKey NextNameId { get; }

    public RedisKey Entity(EntityKind kind, string id) => string.Concat(kind == EntityKind.User ? _user : _candidate, id);

    /// <summary>A SCAN pattern matching every entity key of <paramref name="kind"/> (the prefix's glob characters escaped).</summary>
    public string EntityPattern(EntityKind kind)
    {
        var pattern = new StringBuilder();
        foreach (var c in Prefix)
        {
            if (c is '*' or '?' or '[' or ']' or '\\')
            {
                pattern.Append('\\');
            }

            pattern.Append(c);
        }

        return pattern.Append(kind.ToName()).Append(":*").ToString();
    }
}
