namespace Arbor.FunctionalTests.Observability;

/// <summary>The observability tests share one root and leaf (each test compares before and after, or finds its own request).</summary>
[CollectionDefinition(ObservedCluster.Collection)]
public sealed class ObservedClusterCollection : ICollectionFixture<ObservedCluster>;
