using Arbor.Contracts.V1;

namespace Arbor.FunctionalTests.Faults;

/// <summary>One request of a <see cref="SteadyLoad"/>: which request it was, its response or its error, and how long it took.</summary>
public sealed record LoadOutcome(int Request, ScoreResponse? Response, Grpc.Core.Status? Error, TimeSpan Elapsed);
