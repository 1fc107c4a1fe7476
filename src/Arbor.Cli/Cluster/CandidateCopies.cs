using Arbor.FeatureStore.Native;
using Arbor.FeatureStore.Sources;

namespace Arbor.Cli.Cluster;

/// <summary>
/// A feature store that writes every candidate it is given <see cref="Copies"/> times: the original
/// and copies named <c>ID~1</c>, <c>ID~2</c>… with the same features, so the sample data set's 2,000
/// candidates become as many distinct entities as a memory measurement needs. Users are written once.
/// Everything else goes to the inner store.
/// </summary>
public sealed class CandidateCopies(IFeatureStore inner, int copies) : IFeatureStore
{
    public int Copies { get; } = copies > 0 ? copies : throw new ArgumentOutOfRangeException(nameof(copies), copies, "at least one copy");

    /// <summary>The id of copy <paramref name="copy"/> (0: the original) of candidate <paramref name="id"/>.</summary>
    public static string CopyId(string id, int copy) => copy == 0 ? id : $"{id}~{copy}";

    public async Task<IFeatureWriter> BeginWriteAsync(CancellationToken cancellationToken) => new Writer(await inner.BeginWriteAsync(cancellationToken), Copies);

    public Task<FeatureStoreStats> GetStatsAsync(CancellationToken cancellationToken) => inner.GetStatsAsync(cancellationToken);

    public Task InitializeAsync(CancellationToken cancellationToken) => inner.InitializeAsync(cancellationToken);

    public Task CheckAsync(CancellationToken cancellationToken) => inner.CheckAsync(cancellationToken);

    public ValueTask<FeatureTable> ReadAsync(EntityKind entity, IReadOnlyList<string> ids, FeatureProjection features, CancellationToken cancellationToken) =>
        inner.ReadAsync(entity, ids, features, cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();

    private sealed class Writer(IFeatureWriter inner, int copies) : IFeatureWriter
    {
        public async Task WriteAsync(IReadOnlyList<EntityFeatures> batch, CancellationToken cancellationToken)
        {
            for (var copy = 0; copy < copies; copy++)
            {
                var copied = new List<EntityFeatures>(batch.Count);
                foreach (var entity in batch)
                {
                    if (copy == 0 || entity.Kind == EntityKind.Candidate)
                    {
                        copied.Add(copy == 0 ? entity : entity with { Id = CopyId(entity.Id, copy) });
                    }
                }

                await inner.WriteAsync(copied, cancellationToken);
            }
        }

        public Task CommitAsync(CancellationToken cancellationToken) => inner.CommitAsync(cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
