using System.Diagnostics;
using System.Globalization;
using Arbor.Testing;

namespace Arbor.Rpc.Tests.Interop;

/// <summary>
/// The grpcio server of interop_server.py, started once per test class on a loopback port and
/// killed on dispose. Its maximum receive size is <see cref="MaxReceiveMessageSize"/>.
/// </summary>
public sealed class PythonGrpcServer : IAsyncLifetime
{
    public const int MaxReceiveMessageSize = 64 * 1024;

    private Process? _process;

    public Uri Address { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        _process = PythonInterop.Start([PythonInterop.Script("interop_server.py"), PythonInterop.MessagesDirectory, MaxReceiveMessageSize.ToString(CultureInfo.InvariantCulture)]);
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        string? line;
        try
        {
            line = await _process.StandardOutput.ReadLineAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            line = null;
        }

        if (line is null || !line.StartsWith("LISTENING ", StringComparison.Ordinal))
        {
            _process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"interop_server.py did not start: {line} {await _process.StandardError.ReadToEndAsync(CancellationToken.None)}");
        }

        Address = new Uri($"http://127.0.0.1:{line["LISTENING ".Length..].Trim()}");
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is null)
        {
            return;
        }

        _process.StandardInput.Close();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }
}
