namespace Arbor.Root.FanOut;

/// <summary>Leaf addresses under <c>tls.leaves</c>: every call to a leaf goes over TLS.</summary>
public static class LeafTls
{
    /// <summary>
    /// The https form of a leaf replica address: <c>http://ip:port</c> (a fixed entry, or an address
    /// a <c>dns:///</c> entry resolved to) becomes <c>https://ip:port</c>; https addresses stay.
    /// </summary>
    public static string SecureAddress(string address) =>
        address.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ? "https://" + address["http://".Length..] : address;
}
