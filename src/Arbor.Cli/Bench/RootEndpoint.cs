namespace Arbor.Cli.Bench;

/// <summary>One root as a Service sees it: a name, a client of its public gRPC API, and a readiness check.</summary>
public sealed record RootEndpoint(string Name, Contracts.V1.Root.RootClient Client, Func<CancellationToken, Task<bool>> IsReadyAsync);
