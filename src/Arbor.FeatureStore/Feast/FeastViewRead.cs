namespace Arbor.FeatureStore.Feast;

/// <summary>What one read asks of a view: its features (null: every stored one) and its time to live (zero: no limit, event times unread).</summary>
internal sealed record FeastViewRead(string View, TimeSpan TimeToLive, IReadOnlyList<string>? Features);
