namespace Arbor.Root.Hosting;

/// <summary>Where the start-up warm-up stands (<see cref="RootWarmup"/>).</summary>
public enum WarmupState
{
    /// <summary>Waiting for the feature store and the leaves to be ready.</summary>
    Waiting,

    /// <summary>Sending synthetic requests.</summary>
    Warming,

    /// <summary>Over (or off): it no longer holds readiness back.</summary>
    Done,
}

/// <summary>
/// The warm-up's progress and result, as <c>/admin/stats</c> and readiness show it: requests sent
/// (and failed), time spent warming, and the per-candidate CPU cost of each measured window (the
/// curve; the last value is the cost the root became ready with).
/// </summary>
/// <param name="State">Where it stands.</param>
/// <param name="Outcome">How it ended (flat, a cap, failures) or what it waits for.</param>
/// <param name="Requests">Synthetic requests sent.</param>
/// <param name="Failed">Of those, requests that failed or had a model fail.</param>
/// <param name="Seconds">Time spent sending them.</param>
/// <param name="CostCurve">Process CPU per candidate (µs) of each window of requests, in order.</param>
/// <param name="Flat">Whether the cost was flat when it ended.</param>
/// <param name="Path">
/// How its requests reached the scorer: <see cref="GrpcPath"/> (through the root's own gRPC
/// listener, as a client's do) or <see cref="InProcessPath"/> followed by why; empty before it sends.
/// </param>
/// <param name="CompiledCurve">Methods the JIT compiled during each window, in order (the same windows as <paramref name="CostCurve"/>).</param>
public sealed record WarmupResult(WarmupState State, string Outcome, int Requests, int Failed, double Seconds, IReadOnlyList<double> CostCurve, bool Flat, string Path = "", IReadOnlyList<long>? CompiledCurve = null)
{
    /// <summary>The path of requests sent through the root's own gRPC listener.</summary>
    public const string GrpcPath = "grpc";

    /// <summary>The path of requests given to the scorer in the process (the listener could not be reached).</summary>
    public const string InProcessPath = "in-process";

    /// <summary>The result of a root whose warm-up is off.</summary>
    public static WarmupResult Off { get; } = new(WarmupState.Done, "off", 0, 0, 0, [], false);

    /// <summary>The last window's CPU per candidate (µs), or null before the first window.</summary>
    public double? LastCostUsPerCandidate => CostCurve.Count == 0 ? null : CostCurve[^1];

    /// <summary>One line for readiness and logs.</summary>
    public string Summary => State switch
    {
        WarmupState.Waiting => $"warming up: {Outcome}",
        WarmupState.Warming => $"warming up: {Requests} requests in {Seconds:F1} s, last {LastCostUsPerCandidate?.ToString("F1", System.Globalization.CultureInfo.InvariantCulture) ?? "-"} µs/candidate",
        _ => Outcome,
    };
}
