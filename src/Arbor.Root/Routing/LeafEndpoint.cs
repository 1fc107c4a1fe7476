using System.Net;
using System.Net.Sockets;

namespace Arbor.Root.Routing;

/// <summary>
/// One entry of a partition's <c>endpoints</c>: a fixed replica address (<c>http://host:port</c>,
/// <c>https://host:port</c>) or a DNS name (<c>dns:///leaf-homefeed.arbor.svc:7000</c>) whose
/// addresses are the replicas (a Kubernetes headless Service lists one per ready pod). A DNS entry
/// is re-resolved periodically and each address becomes a replica <c>http://ip:port</c> (called over
/// https with <c>tls.leaves</c>, see <see cref="FanOut.LeafTls"/>).
/// </summary>
public sealed record LeafEndpoint(string Source, string? Address, string? Host, int Port)
{
    public const string DnsScheme = "dns";

    public bool IsDns => Host is not null;

    /// <summary>Parses an endpoint entry; false (with a reason) when it is neither form.</summary>
    public static bool TryParse(string text, out LeafEndpoint endpoint, out string problem)
    {
        endpoint = null!;
        problem = "";
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri))
        {
            problem = $"'{text}' is not an http(s) address or dns:///name:port";
            return false;
        }

        if (uri.Scheme is "http" or "https")
        {
            endpoint = new LeafEndpoint(text, text, null, 0);
            return true;
        }

        if (uri.Scheme == DnsScheme)
        {
            // dns:///name:port — the authority (a DNS server) must be empty; the path is name:port.
            var target = uri.AbsolutePath.TrimStart('/');
            var colon = target.LastIndexOf(':');
            if (!string.IsNullOrEmpty(uri.Authority) || colon <= 0 || !int.TryParse(target.AsSpan(colon + 1), out var port) || port is < 1 or > 65535
                || Uri.CheckHostName(target[..colon]) is UriHostNameType.Unknown)
            {
                problem = $"'{text}' must be dns:///name:port (no DNS server authority, a port from 1 to 65535)";
                return false;
            }

            endpoint = new LeafEndpoint(text, null, target[..colon], port);
            return true;
        }

        problem = $"'{text}' is not an http(s) address or dns:///name:port";
        return false;
    }

    /// <summary>The replica address of one resolved IP (h2c).</summary>
    public string AddressOf(IPAddress ip) => ip.AddressFamily == AddressFamily.InterNetworkV6
        ? $"http://[{ip}]:{Port}"
        : $"http://{ip}:{Port}";
}

/// <summary>Resolves a DNS name to its addresses (a test double stands in for DNS in tests).</summary>
public interface IEndpointResolver
{
    Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken);
}

/// <summary>The system resolver (<see cref="Dns"/>): every A and AAAA record of the name.</summary>
public sealed class DnsEndpointResolver : IEndpointResolver
{
    public static readonly DnsEndpointResolver Instance = new();

    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) =>
        Dns.GetHostAddressesAsync(host, cancellationToken);
}
