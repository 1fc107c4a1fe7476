namespace Arbor.Leaf.Native;

/// <summary>
/// libtorch's process-wide thread settings. Arbor runs one intra-op thread per forward and serves
/// requests in parallel instead: small ranking models gain little from splitting one matmul across
/// cores, and intra-op pools fighting with request parallelism cost more than they give.
/// </summary>
/// <param name="IntraOpThreads">Threads one operator may use (at::set_num_threads).</param>
/// <param name="InteropThreads">libtorch's inter-op pool; settable once per process.</param>
/// <param name="GraphOptimize">Whether the TorchScript profiling executor optimises graphs.</param>
public sealed record TorchThreading(int IntraOpThreads = 1, int InteropThreads = 1, bool GraphOptimize = true);
