namespace Arbor.Root.Cache;

/// <summary>A store read in progress that other requests missing the same entities may join.</summary>
/// <param name="Mask">The features it fetches.</param>
/// <param name="Result">Completes with the merged entries of the entities it read, or the store's error.</param>
internal sealed record InFlightRead(ulong[] Mask, Task<IReadOnlyDictionary<string, CachedEntity>> Result);
