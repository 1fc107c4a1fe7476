using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

using Arbor.Rpc.Server;

namespace Arbor.Root.Store;

/// <summary>
/// A private Redis server for tests and benchmarks: <c>redis-server</c> on a free loopback port with
/// persistence off (<c>--save "" --appendonly no</c>) and its own temporary folder, started in the
/// constructor (and waited for until it answers PING) and killed (and its folder deleted) on dispose;
/// it can be stopped, started, paused and resumed to play a store outage. Since nothing is persisted,
/// a <see cref="Stop"/> loses every key: a <see cref="Start"/> after it serves an empty database on
/// the same port. Uses <c>redis-server</c> from the PATH (or <c>ARBOR_REDIS_SERVER</c>); Redis runs as
/// root without complaint, so no user switch is needed.
/// </summary>
public sealed class LocalRedisServer : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    private readonly string _root;
    private readonly string _serverPath;
    private Process? _process;

    public LocalRedisServer()
    {
        _serverPath = FindServer();
        _root = Directory.CreateTempSubdirectory("arbor-redis-").FullName;
        try
        {
            Port = LoopbackPorts.Next();
            Start();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public int Port { get; }

    /// <summary>A StackExchange.Redis configuration string for the server.</summary>
    public string ConnectionString => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port}");

    /// <summary>Why no server can be started on this machine (no <c>redis-server</c>), or null when one can.</summary>
    public static string? Unavailable()
    {
        try
        {
            FindServer();
            return null;
        }
        catch (InvalidOperationException e)
        {
            return e.Message;
        }
    }

    /// <summary>Starts the server (again, after <see cref="Stop"/>) on the same port, empty, and waits until it answers PING.</summary>
    public void Start()
    {
        if (_process is not null)
        {
            return;
        }

        var start = new ProcessStartInfo
        {
            FileName = _serverPath,
            UseShellExecute = false,
            WorkingDirectory = _root,
        };
        foreach (var argument in (string[])[
            "--port", Port.ToString(CultureInfo.InvariantCulture),
            "--bind", "127.0.0.1",
            "--save", string.Empty,
            "--appendonly", "no",
            "--daemonize", "no",
            "--dir", _root,
            "--logfile", Path.Combine(_root, "server.log")])
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {_serverPath}.");
        WaitUntilAnswering();
    }

    /// <summary>Kills the server (a store that goes down; its keys are lost); dispose still cleans up.</summary>
    public void Stop()
    {
        if (_process is not { } process)
        {
            return;
        }

        _process = null;
        using (process)
        {
            // A paused server ignores everything but SIGKILL, which is what Kill sends.
            process.Kill();
            if (!process.WaitForExit(StopTimeout))
            {
                throw new InvalidOperationException($"redis-server did not exit within {StopTimeout}.");
            }
        }
    }

    /// <summary>
    /// Freezes the server (SIGSTOP): connections stay open and new ones are accepted by the kernel,
    /// but nothing answers, as with a hung store. <see cref="Resume"/> (in a finally) undoes it.
    /// </summary>
    public void Pause() => Signal("STOP");

    /// <summary>Lets a <see cref="Pause"/>d server run again (SIGCONT).</summary>
    public void Resume() => Signal("CONT");

    public void Dispose()
    {
        Stop();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private void Signal(string signal)
    {
        var process = _process ?? throw new InvalidOperationException("The Redis server is not running.");
        var start = new ProcessStartInfo
        {
            FileName = "kill",
            UseShellExecute = false,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add($"-{signal}");
        start.ArgumentList.Add(process.Id.ToString(CultureInfo.InvariantCulture));
        using var kill = Process.Start(start) ?? throw new InvalidOperationException("Could not start kill.");
        var stderr = kill.StandardError.ReadToEnd();
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {process.Id} failed ({kill.ExitCode}): {stderr}");
        }
    }

    /// <summary>Sends PING until +PONG comes back, within <see cref="StartTimeout"/>; fails with the server's log when it exits or never answers.</summary>
    private void WaitUntilAnswering()
    {
        var deadline = Stopwatch.StartNew();
        Exception? last = null;
        while (deadline.Elapsed < StartTimeout)
        {
            if (_process!.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited ({_process.ExitCode}) at start: {ServerLog()}");
            }

            try
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
                {
                    ReceiveTimeout = 1000,
                    SendTimeout = 1000,
                };
                socket.Connect(IPAddress.Loopback, Port);
                socket.Send("PING\r\n"u8);
                var reply = new byte[64];
                var read = socket.Receive(reply);
                if (Encoding.ASCII.GetString(reply, 0, read).StartsWith("+PONG", StringComparison.Ordinal))
                {
                    return;
                }

                // -LOADING or similar: not ready yet.
                last = new InvalidOperationException(Encoding.ASCII.GetString(reply, 0, read).Trim());
            }
            catch (SocketException e)
            {
                last = e;
            }

            // Bounded polling of a process we do not otherwise hear from.
            Thread.Sleep(20);
        }

        throw new InvalidOperationException($"redis-server did not answer PING within {StartTimeout} ({last?.Message}): {ServerLog()}");
    }

    private string ServerLog()
    {
        var log = Path.Combine(_root, "server.log");
        return File.Exists(log) ? File.ReadAllText(log) : string.Empty;
    }

    private static string FindServer()
    {
        var configured = Environment.GetEnvironmentVariable("ARBOR_REDIS_SERVER");
        if (!string.IsNullOrEmpty(configured))
        {
            return configured;
        }

        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, "redis-server");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(
            "redis-server not found on the PATH (install the 'redis-server' package, see scripts/prereqs.sh) or set ARBOR_REDIS_SERVER.");
    }
}
