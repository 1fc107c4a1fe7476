namespace Arbor.Telemetry.Status;

/// <summary>
/// The instruments a <see cref="TrafficHistory"/> reads, by name; each records a <c>model</c> tag.
/// </summary>
/// <param name="Calls">A counter of calls with a <c>status</c> tag; any status but OK is an error.</param>
/// <param name="Duration">A histogram of call latency in seconds.</param>
/// <param name="Rows">A counter of candidates (rows) scored, or null.</param>
/// <param name="BytesSaved">A counter of request bytes trimming left out, or null.</param>
public sealed record TrafficInstruments(string Calls, string Duration, string? Rows = null, string? BytesSaved = null);
