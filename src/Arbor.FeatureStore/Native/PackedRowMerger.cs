using System.Buffers;
using System.Runtime.InteropServices;
using Arbor.FeatureStore.Sources;

namespace Arbor.FeatureStore.Native;

/// <summary>
/// Applies one entity's updates to its current packed row (<see cref="PackedFeatures.Merge"/>),
/// reusing one buffer across entities: the merge step every writer shares. Not thread-safe.
/// </summary>
internal sealed class PackedRowMerger
{
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly List<PackedFeatureUpdate> _entityUpdates = [];

    /// <summary>The new row of <paramref name="update"/>'s entity; null features when none is left (delete the row).</summary>
    public PackedEntityRow Merge(EntityUpdate update, byte[]? existing, IReadOnlyDictionary<string, int> nameIds)
    {
        _entityUpdates.Clear();
        foreach (var (name, value) in update.Features)
        {
            if (nameIds.TryGetValue(name, out var id))
            {
                _entityUpdates.Add(new PackedFeatureUpdate(id, value));
            }
            else if (value.HasValue)
            {
                throw new InvalidOperationException($"Feature '{name}' got no id in {FeatureStoreSchema.NamesTable}.");
            }
        }

        var sorted = CollectionsMarshal.AsSpan(_entityUpdates);
        sorted.Sort(static (a, b) => a.NameId.CompareTo(b.NameId));
        _buffer.ResetWrittenCount();
        int count;
        try
        {
            count = PackedFeatures.Merge(existing, sorted, _buffer);
        }
        catch (FormatException ex)
        {
            throw new FormatException($"The stored features of {update.Kind.ToName()} '{update.Id}' are malformed: {ex.Message}", ex);
        }

        return new PackedEntityRow(update.Kind, update.Id, count, count == 0 ? null : _buffer.WrittenSpan.ToArray());
    }
}
