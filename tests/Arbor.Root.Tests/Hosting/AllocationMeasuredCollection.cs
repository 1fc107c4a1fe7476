namespace Arbor.Root.Tests.Hosting;

/// <summary>
/// Tests that measure the process's allocations (GC.GetTotalAllocatedBytes counts every thread)
/// run alone, so that other test classes allocating beside them cannot push them over a ceiling.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationMeasuredCollection
{
    public const string Name = "allocation measured";
}
