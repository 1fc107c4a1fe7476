namespace Arbor.FeatureStore.Feast;

/// <summary>Takes what a <see cref="FeastOnlineStore"/> read finds, view by index into the read's views.</summary>
internal interface IFeastRowSink
{
    /// <summary>A stored value (a serialized <c>feast.types.Value</c>) of <paramref name="feature"/> for the entity <paramref name="key"/>.</summary>
    void Value(int view, byte[] key, string feature, ReadOnlySpan<byte> value, DateTimeOffset? eventTime);

    /// <summary>An entity the store holds values of other views for has none of <paramref name="view"/>.</summary>
    void ViewAbsent(int view);

    /// <summary>An entity's event time of <paramref name="view"/> is not a serialized timestamp: its values are not served.</summary>
    void BadEventTime(int view);
}
