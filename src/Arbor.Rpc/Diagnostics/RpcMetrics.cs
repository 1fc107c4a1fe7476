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
/// <item><c>arbor.rpc.client.compression</c> ({call}, tags <c>encoding</c>, <c>decision</c>: <c>compress</c>,
/// <c>probe</c>, <c>skip</c>): calls asked to compress with a minimum saving, by what the channel did
/// (<see cref="Compression.CompressionYield"/>).</item>
/// <item><c>arbor.tls.handshake_failures</c> ({handshake}, tags <c>endpoint</c>, <c>reason</c>): handshakes refused
/// for the peer's certificate (<c>no_certificate</c>, <c>untrusted</c>, <c>expired</c>, <c>wrong_usage</c>).</item>
/// <item><c>arbor.tls.certificate.reloads</c> ({reload}, tags <c>credentials</c>, <c>result</c>: <c>ok</c>, <c>rejected</c>).</item>
/// <item><c>arbor.tls.certificate.not_after</c> (s, tag <c>credentials</c>): when the certificate in force expires (Unix time).</item>
/// </list>
/// </summary>
public static class RpcMetrics
{
    /// <summary>The meter name to listen to.</summary>
    public const string MeterName = "Arbor.Rpc";

    private static readonly ConcurrentDictionary<string, ByteCounters> ClientTargets = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, ByteCounters> ServerEndpoints = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, Tls.TlsCredentialSource> Certificates = new(StringComparer.Ordinal);
    private static readonly Meter Meter = new(MeterName);

    // Boxed once so that recording a status tag does not allocate.
    private static readonly object[] StatusNames = [.. Enum.GetValues<StatusCode>().Select(code => (object)code.ToString())];

    private static readonly Counter<long> ClientCalls = Meter.CreateCounter<long>("arbor.rpc.client.calls", "{call}", "Unary calls made, by method and status.");
    private static readonly Counter<long> ServerCalls = Meter.CreateCounter<long>("arbor.rpc.server.calls", "{call}", "Unary calls handled, by method and status.");
    private static readonly Histogram<double> ClientDuration = Meter.CreateHistogram<double>("arbor.rpc.client.duration", "s", "Duration of unary calls made.");
    private static readonly Histogram<double> ServerDuration = Meter.CreateHistogram<double>("arbor.rpc.server.duration", "s", "Duration of unary calls handled.");
    private static readonly Counter<long> CompressionDecisions = Meter.CreateCounter<long>("arbor.rpc.client.compression", "{call}", "Calls asked to compress with a minimum saving, by encoding and decision (compress, probe, skip).");
    private static readonly object[] DecisionNames = ["compress", "probe", "skip"];
    private static readonly Counter<long> HandshakeFailures = Meter.CreateCounter<long>("arbor.tls.handshake_failures", "{handshake}", "TLS handshakes refused for the peer's certificate, by endpoint and reason.");
    private static readonly Counter<long> CertificateReloads = Meter.CreateCounter<long>("arbor.tls.certificate.reloads", "{reload}", "Changes of TLS files loaded or rejected, by credentials and result.");

    static RpcMetrics()
    {
        Meter.CreateObservableCounter("arbor.rpc.client.sent_bytes", () => Observe(ClientTargets, "target", s => s.BytesSent), "By", "Bytes written to sockets, per target.");
        Meter.CreateObservableCounter("arbor.rpc.client.received_bytes", () => Observe(ClientTargets, "target", s => s.BytesReceived), "By", "Bytes read from sockets, per target.");
        Meter.CreateObservableCounter("arbor.rpc.server.sent_bytes", () => Observe(ServerEndpoints, "endpoint", s => s.BytesSent), "By", "Bytes written to sockets, per endpoint.");
        Meter.CreateObservableCounter("arbor.rpc.server.received_bytes", () => Observe(ServerEndpoints, "endpoint", s => s.BytesReceived), "By", "Bytes read from sockets, per endpoint.");
        Meter.CreateObservableUpDownCounter("arbor.rpc.client.connections", () => Observe(ClientTargets, "target", s => s.ConnectionsActive), "{connection}", "Open connections, per target.");
        Meter.CreateObservableUpDownCounter("arbor.rpc.server.connections", () => Observe(ServerEndpoints, "endpoint", s => s.ConnectionsActive), "{connection}", "Open connections, per endpoint.");
        Meter.CreateObservableGauge("arbor.tls.certificate.not_after", ObserveCertificates, "s", "When the certificate in force expires (Unix time), per credentials.");
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

    internal static void RecordCompressionDecision(string encoding, Compression.CompressionDecision decision) =>
        CompressionDecisions.Add(1, new KeyValuePair<string, object?>("encoding", encoding), new KeyValuePair<string, object?>("decision", DecisionNames[(int)decision]));

    internal static void TrackCertificate(Tls.TlsCredentialSource source) => Certificates[source.Name] = source;

    internal static void RecordCertificateReload(string credentials, bool succeeded) =>
        CertificateReloads.Add(1, new KeyValuePair<string, object?>("credentials", credentials), new KeyValuePair<string, object?>("result", succeeded ? "ok" : "rejected"));

    internal static void RecordHandshakeFailure(string endpoint, string reason) =>
        HandshakeFailures.Add(1, new KeyValuePair<string, object?>("endpoint", endpoint), new KeyValuePair<string, object?>("reason", reason));

    private static IEnumerable<Measurement<long>> ObserveCertificates()
    {
        foreach (var (name, source) in Certificates)
        {
            yield return new Measurement<long>(new DateTimeOffset(source.Current.Certificate.NotAfter.ToUniversalTime()).ToUnixTimeSeconds(), new KeyValuePair<string, object?>("credentials", name));
        }
    }

    private static IEnumerable<Measurement<long>> Observe(ConcurrentDictionary<string, ByteCounters> counters, string tag, Func<ByteCountSnapshot, long> value)
    {
        foreach (var (name, counter) in counters)
        {
            yield return new Measurement<long>(value(counter.Snapshot()), new KeyValuePair<string, object?>(tag, name));
        }
    }
}
