namespace Arbor.Cli.Bench;

/// <summary>CPU time per second of wall time that a mode's root and leaves use with no traffic.</summary>
public sealed record IdleCpu(TimeSpan RootPerSecond, TimeSpan LeafPerSecond);
