using Arbor.FeatureStore.Feast;
using Arbor.FeatureStore.Sources;

namespace Arbor.Root.Configuration;

/// <summary>Checks <c>feature_store.feast</c> and turns it into the source's options.</summary>
public static class FeastConfigValidation
{
    private const string Path = "$.feature_store.feast";

    /// <summary>Adds every problem of <paramref name="feast"/> to <paramref name="problems"/>, each with its JSON path.</summary>
    public static void Validate(FeastStoreConfig feast, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(feast);
        ArgumentNullException.ThrowIfNull(problems);
        if (string.IsNullOrWhiteSpace(feast.Project))
        {
            problems.Add($"{Path}.project: required (the Feast project; its tables are {{project}}_{{view}})");
        }

        switch (feast.OnlineStore.Type)
        {
            case "sqlite" when string.IsNullOrEmpty(feast.OnlineStore.Path):
                problems.Add($"{Path}.online_store.path: required for sqlite");
                break;
            case "postgres" or "redis" when feast.OnlineStore.ConnectionString is null:
                problems.Add($"{Path}.online_store.connection_string: required for {feast.OnlineStore.Type}");
                break;
            case "sqlite" or "postgres" or "redis":
                break;
            default:
                problems.Add($"{Path}.online_store.type: unknown type '{feast.OnlineStore.Type}' (sqlite, postgres, redis)");
                break;
        }

        if (feast.Entities.Count == 0)
        {
            problems.Add($"{Path}.entities: name at least one entity kind (user, candidate)");
        }

        var views = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (kind, entity) in feast.Entities)
        {
            var at = $"{Path}.entities.{kind}";
            if (kind == "context")
            {
                problems.Add($"{at}: context features come with each request; Arbor reads user and candidate features from stores");
                continue;
            }

            if (!EntityKindNames.TryParse(kind, out _))
            {
                problems.Add($"{at}: unknown entity kind (user, candidate)");
            }

            if (string.IsNullOrWhiteSpace(entity.JoinKey))
            {
                problems.Add($"{at}.join_key: required (the Feast entity's join key)");
            }

            if (!TryParseKeyType(entity.KeyType, out _))
            {
                problems.Add($"{at}.key_type: unknown type '{entity.KeyType}' (string, int64, int32)");
            }

            if (entity.Views.Count == 0)
            {
                problems.Add($"{at}.views: name at least one feature view");
            }

            for (var i = 0; i < entity.Views.Count; i++)
            {
                var view = entity.Views[i];
                if (string.IsNullOrWhiteSpace(view.Name))
                {
                    problems.Add($"{at}.views[{i}].name: required");
                }
                else if (!views.Add(view.Name))
                {
                    problems.Add($"{at}.views[{i}].name: view '{view.Name}' is configured twice (a view belongs to one entity kind)");
                }

                if (view.TtlSeconds < 0 || double.IsNaN(view.TtlSeconds))
                {
                    problems.Add($"{at}.views[{i}].ttl_seconds: must not be negative (0: no limit)");
                }
            }
        }

        foreach (var (name, reference) in feast.Features)
        {
            if (!FeastFeatureRef.TryParse(reference, out var parsed))
            {
                problems.Add($"{Path}.features.{name}: '{reference}' is not view:feature");
            }
            else if (!views.Contains(parsed.View))
            {
                problems.Add($"{Path}.features.{name}: view '{parsed.View}' is not configured for any entity");
            }
        }
    }

    /// <summary>The source's options from a configuration <see cref="Validate"/> passed.</summary>
    public static FeastSourceOptions ToOptions(FeastStoreConfig feast)
    {
        ArgumentNullException.ThrowIfNull(feast);
        var entities = new List<FeastEntityOptions>();
        foreach (var (kind, entity) in feast.Entities)
        {
            EntityKindNames.TryParse(kind, out var parsed);
            TryParseKeyType(entity.KeyType, out var keyType);
            entities.Add(new FeastEntityOptions(parsed, entity.JoinKey, keyType, [.. entity.Views.Select(v => new FeastViewOptions(v.Name, TimeSpan.FromSeconds(v.TtlSeconds)))]));
        }

        var features = new Dictionary<string, FeastFeatureRef>(StringComparer.Ordinal);
        foreach (var (name, reference) in feast.Features)
        {
            FeastFeatureRef.TryParse(reference, out var parsed);
            features[name] = parsed;
        }

        return new FeastSourceOptions(feast.Project, entities, features);
    }

    private static bool TryParseKeyType(string text, out FeastKeyType type)
    {
        type = text switch
        {
            "string" => FeastKeyType.String,
            "int64" => FeastKeyType.Int64,
            "int32" => FeastKeyType.Int32,
            _ => 0,
        };
        return type != 0;
    }
}
