using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Arbor.Rpc.Accounting;
using Grpc.Core;

namespace Arbor.Rpc.Diagnostics;

/// <summary>
/// The instruments of the RPC layer, on the meter <c>Arbor.Rpc</c>:
/// <list type="bullet">
/// <item><c>arbor.rpc.client.sent_bytes</c>, <c>arbor.rpc.client.received_bytes</c> (By, tag <c>target</c>):
/// socket bytes per target, after HTTP/2 framing and TLS.</item>
/// <item><c>arbor.rpc.server.sent_bytes</c>, <c>arbor.rpc.server.received_bytes</c> (By, tag <c>endpoint</c>).</item>
/// <item><c>arbor.rpc.client.connections</c>, <c>arbor.rpc.server.connections</c> ({connection}): open connections.</item>
/// <item><c>arbor.rpc.client.calls</c>, <c>arbor.rpc.server.calls</c> ({call}, tags <c>method</c>, <c>status</c>).</item>
/// <item><c>arbor.rpc.client.duration</c>, <c>arbor.rpc.server.duration</c> (s, tag <c>method</c>).</item>
/// </list>
/// </summary>
public static class RpcMetrics
{
    /// <summary>The meter name to listen to.</summary>
    public const string MeterName = "Arbor.Rpc";

    private static readonly ConcurrentDictionary<string, ByteCounters> ClientTargets = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, ByteCounters> ServerEndpoints = new(StringComparer.Ordinal);
    private static readonly Meter Meter = new(MeterName);

    // Boxed once so that recording a status tag does not allocate.
    private static readonly object[] StatusNames = [.. Enum.GetValues<StatusCode>().Select(code => (object)code.ToString())];

    private static readonly Counter<long> ClientCalls = Meter.CreateCounter<long>("arbor.rpc.client.calls", "{call}", "Unary calls made, by method and status.");
    private static readonly Counter<long> ServerCalls = Meter.CreateCounter<long>("arbor.rpc.server.calls", "{call}", "Unary calls handled, by method and status.");
    private static readonly Histogram<double> ClientDuration = Meter.CreateHistogram<double>("arbor.rpc.client.duration", "s", "Duration of unary calls made.");
    private static readonly Histogram<double> ServerDuration = Meter.CreateHistogram<double>("arbor.rpc.server.duration", "s", "Duration of unary calls handled.");

    static RpcMetrics()
    {
        Meter.CreateObservableCounter("arbor.rpc.client.sent_bytes", () => Observe(ClientTargets, "target", s => s.BytesSent), "By", "Bytes written to sockets, per target.");
        Meter.CreateObservableCounter("arbor.rpc.client.received_bytes", () => Observe(ClientTargets, "target", s => s.BytesReceived), "By", "Bytes read from sockets, per target.");
        Meter.CreateObservableCounter("arbor.rpc.server.sent_bytes", () => Observe(ServerEndpoints, "endpoint", s => s.BytesSent), "By", "Bytes written to sockets, per endpoint.");
        Meter.CreateObservableCounter("arbor.rpc.server.received_bytes", () => Observe(ServerEndpoints, "endpoint", s => s.BytesReceived), "By", "Bytes read from sockets, per endpoint.");
        Meter.CreateObservableUpDownCounter("arbor.rpc.client.connections", () => Observe(ClientTargets, "target", s => s.ConnectionsActive), "{connection}", "Open connections, per target.");
        Meter.CreateObservableUpDownCounter("arbor.rpc.server.connections", () => Observe(ServerEndpoints, "endpoint", s => s.ConnectionsActive), "{connection}", "Open connections, per endpoint.");
    }

    internal static ByteCounters ClientCounters(string target) => ClientTargets.GetOrAdd(target, static t => new ByteCounters(t));

    internal static ByteCounters ServerCounters(string endpoint) => ServerEndpoints.GetOrAdd(endpoint, static e => new ByteCounters(e));

    internal static void RecordClientCall(string method, StatusCode status, double seconds)
    {
        var methodTag = new KeyValuePair<string, object?>("method", method);
        ClientCalls.Add(1, methodTag, new KeyValuePair<string, object?>("status", StatusNames[(int)status]));
        ClientDuration.Record(seconds, methodTag);
    }

    internal static void RecordServerCall(string method, StatusCode status, double seconds)
    {
        var methodTag = new KeyValuePair<string, object?>("method", method);
        ServerCalls.Add(1, methodTag, new KeyValuePair<string, object?>("status", StatusNames[(int)status]));
        ServerDuration.Record(seconds, methodTag);
    }

    private static IEnumerable<Measurement<long>> Observe(ConcurrentDictionary<string, ByteCounters> counters, string tag, Func<ByteCountSnapshot, long> value)
    {
        foreach (var (name, counter) in counters)
        {
            yield return new Measurement<long>(value(counter.Snapshot()), new KeyValuePair<string, object?>(tag, name));
        }
    }
}
