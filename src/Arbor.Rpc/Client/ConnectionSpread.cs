namespace Arbor.Rpc.Client;

/// <summary>
/// Sends each request over the next of several handlers in turn, each with its own HTTP/2
/// connection to the same target. One HTTP/2 connection carries every concurrent call in one byte
/// stream that each end reads and writes on one loop: a request's megabyte of columns waits behind
/// another's, and the peer decodes the frames of all of them one after the other. Calls spread over
/// connections are read by the peer side by side.
/// </summary>
internal sealed class ConnectionSpread : HttpMessageHandler
{
    private readonly HttpMessageInvoker[] _connections;
    private uint _next;

    /// <param name="handlers">One handler per connection; each is disposed with this one.</param>
    public ConnectionSpread(IReadOnlyList<HttpMessageHandler> handlers)
    {
        ArgumentNullException.ThrowIfNull(handlers);
        ArgumentOutOfRangeException.ThrowIfLessThan(handlers.Count, 2, nameof(handlers));
        _connections = [.. handlers.Select(h => new HttpMessageInvoker(h, disposeHandler: true))];
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        Next().SendAsync(request, cancellationToken);

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken) =>
        Next().Send(request, cancellationToken);

    private HttpMessageInvoker Next() => _connections[(Interlocked.Increment(ref _next) - 1) % (uint)_connections.Length];

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var connection in _connections)
            {
                connection.Dispose();
            }
        }

        base.Dispose(disposing);
    }
}
