using System.Collections.Concurrent;
using Arbor.Features.Values;
using Arbor.FeatureStore.Sources;

namespace Arbor.Root.Tests.Cache;

/// <summary>
/// An in-memory feature source that records every read, can hold reads at a gate until the test
/// opens it, and can fail on demand.
/// </summary>
internal sealed class FakeFeatureSource : IFeatureSource
{
    private readonly ConcurrentDictionary<(EntityKind, string), Dictionary<string, TypedValue>> _data = new();
    private readonly ConcurrentQueue<(EntityKind Kind, string[] Ids, string[] Features, CancellationToken Token)> _reads = new();
    private readonly SemaphoreSlim _entered = new(0);
    private TaskCompletionSource? _gate;

    public Exception? Failure { get; set; }

    /// <summary>Every read, with the token the caller passed to the store.</summary>
    public IReadOnlyList<(EntityKind Kind, string[] Ids, string[] Features, CancellationToken Token)> Reads => [.. _reads];

    public void Set(EntityKind kind, string id, string feature, TypedValue value) =>
        _data.GetOrAdd((kind, id), _ => new Dictionary<string, TypedValue>())[feature] = value;

    /// <summary>Makes subsequent reads wait until <see cref="OpenGate"/>.</summary>
    public void CloseGate() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void OpenGate() => _gate?.TrySetResult();

    /// <summary>Waits until a read has reached the store (bounded, so a broken test fails instead of hanging).</summary>
    public async Task WaitForReadAsync()
    {
        if (!await _entered.WaitAsync(TimeSpan.FromSeconds(10)))
        {
            throw new TimeoutException("No store read arrived.");
        }
    }

    public async ValueTask<FeatureTable> ReadAsync(EntityKind entity, IReadOnlyList<string> ids, FeatureProjection features, CancellationToken cancellationToken)
    {
        _reads.Enqueue((entity, [.. ids], [.. features.Names], cancellationToken));
        _entered.Release();
        if (_gate is { } gate)
        {
            await gate.Task.WaitAsync(cancellationToken);
        }

        if (Failure is { } failure)
        {
            throw failure;
        }

        var rows = new TypedValue[]?[ids.Count];
        for (var r = 0; r < ids.Count; r++)
        {
            if (_data.TryGetValue((entity, ids[r]), out var values))
            {
                rows[r] = [.. features.Names.Select(f => values.GetValueOrDefault(f))];
            }
        }

        return new FeatureTable(ids, features.Names, rows, FeatureTable.IdentitySlots(features.Count));
    }
}
