namespace Arbor.Rpc.Tls;

/// <summary>
/// TLS files that cannot be used (unreadable, not PEM, a key that does not match, an expired
/// certificate). The message names the file, never a key.
/// </summary>
public sealed class TlsCredentialsException : Exception
{
    public TlsCredentialsException(string message)
        : base(message)
    {
    }

    public TlsCredentialsException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
