using System.Data.Common;

namespace Arbor.FeatureStore.Native;

/// <summary>
/// A store's latest <see cref="FeatureNameDictionary"/> snapshot, shared by its reads and replaced
/// whole when a read meets a name id it does not know.
/// </summary>
internal sealed class FeatureNameCache
{
    private FeatureNameDictionary? _current;

    /// <summary>The latest snapshot, or null before the first load.</summary>
    public FeatureNameDictionary? Current => Volatile.Read(ref _current);

    /// <summary>Runs <paramref name="command"/> (selecting id, name) and publishes the result.</summary>
    public async Task<FeatureNameDictionary> LoadAsync(DbCommand command, CancellationToken cancellationToken)
    {
        var names = await ReadAsync(command, cancellationToken).ConfigureAwait(false);
        return Publish(FeatureNameDictionary.Create(names));
    }

    /// <summary>Publishes a snapshot loaded by the caller, unless a larger one is already published; returns it.</summary>
    public FeatureNameDictionary Publish(FeatureNameDictionary loaded)
    {
        // Names are only ever added, so the larger snapshot is the newer one: concurrent loads
        // finishing out of order never publish an older one.
        var current = Volatile.Read(ref _current);
        while (current is null || current.Count < loaded.Count)
        {
            var seen = Interlocked.CompareExchange(ref _current, loaded, current);
            if (ReferenceEquals(seen, current))
            {
                break;
            }

            current = seen;
        }

        return loaded;
    }

    /// <summary>Reads (id, name) rows.</summary>
    public static async Task<List<(int Id, string Name)>> ReadAsync(DbCommand command, CancellationToken cancellationToken)
    {
        var names = new List<(int Id, string Name)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            names.Add((reader.GetInt32(0), reader.GetString(1)));
        }

        return names;
    }
}
