namespace Arbor.FeatureStore.Feast;

/// <summary>A Feast feature view read for an entity kind: its name and how old a value may be (by <c>event_ts</c>).</summary>
public sealed record FeastViewOptions(string Name, TimeSpan TimeToLive);
