namespace Arbor.Cli.Bench;

/// <summary>
/// One process or pod of a rolling restart: how to stop it (SIGTERM and its drain, until it has
/// exited), start it again, wait until it is ready, and wait until it gets traffic again.
/// </summary>
public sealed record RestartTarget(
    string Name,
    Func<CancellationToken, Task> StopAsync,
    Func<CancellationToken, Task> StartAsync,
    Func<CancellationToken, Task> ReadyAsync,
    Func<CancellationToken, Task> BackInTrafficAsync);
