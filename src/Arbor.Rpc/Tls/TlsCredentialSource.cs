using System.Text;
using Arbor.Rpc.Diagnostics;
using Arbor.Rpc.Security;
using Arbor.Watching;

namespace Arbor.Rpc.Tls;

/// <summary>
/// The TLS credentials in force for one role (a listener's certificate, a client's certificate),
/// read from <see cref="TlsFiles"/> and re-read by <see cref="CheckNow"/> (a
/// <see cref="TlsReloadService"/> calls it every interval): new content is loaded, validated and
/// published by one atomic swap, so new handshakes use it and handshakes under way keep theirs.
/// A failed first load throws; a failed reload is counted (the service logs it), and the credentials
/// in force stay. A half-written update (a new certificate beside the old key) is such a failure and
/// is retried on the next change.
/// </summary>
public sealed class TlsCredentialSource
{
    private readonly TimeProvider _time;
    private readonly ContentChangeDetector _content;
    private volatile TlsCredentials _current;

    /// <summary>Loads the credentials now.</summary>
    /// <param name="name">The role, for logs and metrics (<c>root-server</c>, <c>root-leaf-client</c>, <c>leaf-server</c>).</param>
    /// <exception cref="TlsCredentialsException">The files are unreadable or not usable.</exception>
    public TlsCredentialSource(string name, TlsFiles files, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(files);
        Name = name;
        Files = files;
        _time = time ?? TimeProvider.System;
        var (certificate, key, ca) = Read();
        _current = TlsCredentials.FromPem(certificate, key, ca, files, _time.GetUtcNow());
        _content = new ContentChangeDetector(ContentChangeDetector.Hash(certificate, key, ca ?? []));
        RpcMetrics.TrackCertificate(this);
    }

    /// <summary>The role these credentials serve.</summary>
    public string Name { get; }

    /// <summary>Where the credentials are read from.</summary>
    public TlsFiles Files { get; }

    /// <summary>The credentials in force: read once per handshake.</summary>
    public TlsCredentials Current => _current;

    /// <summary>Why the newest content was not loaded; null when the credentials in force are the newest.</summary>
    public string? LastError { get; private set; }

    /// <summary>Reads the files once; true when new credentials were published.</summary>
    public bool CheckNow()
    {
        byte[] certificate, key, ca;
        try
        {
            byte[]? caBytes;
            (certificate, key, caBytes) = Read();
            ca = caBytes ?? [];
        }
        catch (TlsCredentialsException e)
        {
            return Reject(e.Message);
        }

        if (!_content.HasChanged(certificate, key, ca))
        {
            return false;
        }

        TlsCredentials loaded;
        try
        {
            loaded = TlsCredentials.FromPem(certificate, key, Files.Ca is null ? null : ca, Files, _time.GetUtcNow());
        }
        catch (TlsCredentialsException e)
        {
            return Reject(e.Message);
        }

        _current = loaded;
        LastError = null;
        RpcMetrics.RecordCertificateReload(Name, succeeded: true);
        return true;
    }

    private bool Reject(string error)
    {
        // A file that stays unreadable is one rejection, not one per poll.
        if (error != LastError)
        {
            RpcMetrics.RecordCertificateReload(Name, succeeded: false);
        }

        LastError = error;
        return false;
    }

    private (byte[] Certificate, byte[] Key, byte[]? Ca) Read()
    {
        try
        {
            var certificate = File.ReadAllBytes(Files.CertificatePath);
            var key = Encoding.UTF8.GetBytes(Files.Key.Resolve(Files.BaseDirectory));
            var ca = Files.CaPath is { } caPath ? File.ReadAllBytes(caPath) : null;
            return (certificate, key, ca);
        }
        catch (SecretUnavailableException e)
        {
            throw new TlsCredentialsException($"the key cannot be read: {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The message of a file error names the file (a path the operator configured), not its content.
            throw new TlsCredentialsException($"cannot read the TLS files: {e.Message}", e);
        }
    }

}
