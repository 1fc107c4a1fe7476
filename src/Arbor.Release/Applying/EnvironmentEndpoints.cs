namespace Arbor.Release.Applying;

/// <summary>The live processes of one environment: root admin (HTTP) addresses and leaf gRPC addresses.</summary>
public sealed record EnvironmentEndpoints(IReadOnlyList<Uri> Roots, IReadOnlyList<Uri> Leaves)
{
    public static EnvironmentEndpoints None { get; } = new([], []);
}
