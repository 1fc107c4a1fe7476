using Arbor.Features.Values;

namespace Arbor.Root.Cache;

/// <summary>The rows a read fills (rented; the table gives them back): per row the entity's values and their packed floats.</summary>
internal readonly record struct CacheRows(TypedValue[]?[] Values, float[]?[] Floats)
{
    public void Set(int row, CachedEntity entity)
    {
        Values[row] = entity.Values;
        Floats[row] = entity.Floats;
    }
}
