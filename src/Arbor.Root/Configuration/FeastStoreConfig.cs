using Arbor.Rpc.Security;

namespace Arbor.Root.Configuration;

/// <summary>
/// <c>feature_store.feast</c>: a Feast online store read as it is (docs/feature-store.md, "Coming
/// from Feast"): the Feast project, where its online store is, per Arbor entity kind the join key
/// and feature views, and which registry feature each Feast feature is.
/// </summary>
public sealed record FeastStoreConfig
{
    /// <summary>The Feast project (<c>project</c> in feature_store.yaml): tables are <c>{project}_{view}</c>.</summary>
    public string Project { get; init; } = "";

    public FeastOnlineStoreConfig OnlineStore { get; init; } = new();

    /// <summary>Per Arbor entity kind (<c>user</c>, <c>candidate</c>) how its ids are found in Feast.</summary>
    public Dictionary<string, FeastEntityConfig> Entities { get; init; } = [];

    /// <summary>Registry feature → <c>view:feature</c>; a registry name of that form that is not listed is that Feast feature.</summary>
    public Dictionary<string, string> Features { get; init; } = [];
}

/// <summary>Feast's online store, as in feature_store.yaml: <c>sqlite</c> with <c>path</c>, or <c>postgres</c> or <c>redis</c> with <c>connection_string</c>.</summary>
public sealed record FeastOnlineStoreConfig
{
    public string Type { get; init; } = "sqlite";

    /// <summary>For sqlite: Feast's online store file, relative to this config file.</summary>
    public string? Path { get; init; }

    /// <summary>
    /// For postgres: an Npgsql connection string; for redis: Feast's <c>host:port[,password=...][,ssl=true][,db=N]</c>
    /// (StackExchange.Redis options too). Inline or <c>{"env": NAME}</c> / <c>{"file": PATH}</c>; never logged.
    /// </summary>
    public SecretValue? ConnectionString { get; init; }
}

/// <summary>How one Arbor entity kind is keyed in Feast and which of its feature views are read.</summary>
public sealed record FeastEntityConfig
{
    /// <summary>The Feast entity's join key (the Arbor id is its value).</summary>
    public string JoinKey { get; init; } = "";

    /// <summary>The join key's value type: <c>string</c> (default), <c>int64</c> or <c>int32</c>.</summary>
    public string KeyType { get; init; } = "string";

    public List<FeastViewConfig> Views { get; init; } = [];
}

/// <summary>A Feast feature view and how old its values may be (0: no limit).</summary>
public sealed record FeastViewConfig
{
    public string Name { get; init; } = "";

    public double TtlSeconds { get; init; }
}
