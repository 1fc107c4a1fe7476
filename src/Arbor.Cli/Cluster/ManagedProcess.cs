using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Arbor.Cli.Cluster;

/// <summary>
/// A child process of the cluster (a root or a leaf): started with its output captured (the last
/// lines are kept for error reports), asked to stop with SIGTERM and killed if it does not stop in
/// time. Its CPU time is read from the kernel's accounting. With a log file, every line it prints
/// (stdout and stderr, across restarts) is also appended there. <see cref="Restart"/> starts it again
/// with the same command line (a supervisor's job: see <see cref="ProcessSupervisor"/>).
/// </summary>
public sealed class ManagedProcess : IAsyncDisposable
{
    private const int KeptLines = 200;
    private readonly ProcessStartInfo _info;
    private readonly Queue<string> _lastLines = new();
    private readonly StreamWriter? _log;
    private Process _process;

    private ManagedProcess(string name, ProcessStartInfo info, string? logFile)
    {
        Name = name;
        _info = info;
        if (logFile is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(logFile))!);
            _log = new StreamWriter(new FileStream(logFile, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete)) { AutoFlush = true };
            LogFile = Path.GetFullPath(logFile);
        }

        _process = Launch();
    }

    public string Name { get; }

    /// <summary>The file every output line is appended to, or null when the output is only kept in memory.</summary>
    public string? LogFile { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The exit code of the process that last ran (valid once it has exited).</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>How many times the process was started again.</summary>
    public int Restarts { get; private set; }

    /// <summary>The last <paramref name="lines"/> lines the process printed.</summary>
    public string Tail(int lines)
    {
        lock (_lastLines)
        {
            return string.Join('\n', _lastLines.Skip(Math.Max(0, _lastLines.Count - lines)));
        }
    }

    /// <summary>Starts the process again with the same command line; the previous one must have exited.</summary>
    public void Restart()
    {
        if (!_process.HasExited)
        {
            throw new InvalidOperationException($"{Name} is still running.");
        }

        _process.Dispose();
        Keep($"--- {Name} restarted at {DateTimeOffset.UtcNow:O} ---");
        _process = Launch();
        Restarts++;
    }

    /// <summary>User plus system CPU time the process has used so far.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.HasExited ? TimeSpan.Zero : _process.TotalProcessorTime;
        }
    }

    /// <summary>The last lines the process printed (stdout and stderr), for error reports.</summary>
    public string Output
    {
        get
        {
            lock (_lastLines)
            {
                return string.Join('\n', _lastLines);
            }
        }
    }

    /// <summary>Starts <paramref name="fileName"/>, prefixed by <paramref name="wrapper"/> when given (e.g. <c>ip netns exec NS</c>).</summary>
    public static ManagedProcess Start(
        string name, string fileName, IEnumerable<string> arguments, IReadOnlyList<string>? wrapper = null, IDictionary<string, string>? environment = null, string? logFile = null)
    {
        var info = new ProcessStartInfo
        {
            FileName = wrapper is { Count: > 0 } ? wrapper[0] : fileName,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (wrapper is { Count: > 0 })
        {
            foreach (var part in wrapper.Skip(1))
            {
                info.ArgumentList.Add(part);
            }

            info.ArgumentList.Add(fileName);
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        return new ManagedProcess(name, info, logFile);
    }

    private Process Launch()
    {
        var process = new Process { StartInfo = _info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>" (log: FILE)" when the output goes to a file, for messages about the process.</summary>
    public string LogFileNote => LogFile is null ? "" : $" (log: {LogFile})";

    /// <summary>Waits until GET <paramref name="url"/> answers 200, failing early if the process exits.</summary>
    public async Task WaitUntilReadyAsync(HttpClient http, Uri url, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode} before it was ready{LogFileNote}:\n{Output}");
            }

            try
            {
                using var response = await http.GetAsync(url, deadline.Token);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (OperationCanceledException) when (!deadline.IsCancellationRequested)
            {
                // This attempt timed out (a loaded machine); the overall deadline has not passed.
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"{Name} was not ready at {url} within {timeout.TotalSeconds:0} s{LogFileNote}:\n{Output}");
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"{Name} was not ready at {url} within {timeout.TotalSeconds:0} s{LogFileNote}:\n{Output}");
            }
        }
    }

    /// <summary>Completes when the process exits (or throws when <paramref name="cancellationToken"/> is cancelled first).</summary>
    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    /// <summary>Asks the process to stop (SIGTERM), then kills it after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return;
        }

        _ = Kill(_process.Id, SigTerm);
        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(5));
        _process.Dispose();
        if (_log is not null)
        {
            lock (_lastLines)
            {
                _log.Dispose();
            }
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lastLines)
        {
            if (_lastLines.Count == KeptLines)
            {
                _lastLines.Dequeue();
            }

            _lastLines.Enqueue(line);
            try
            {
                _log?.WriteLine(line);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // A full disk or a late line after disposal: the in-memory tail still has it.
            }
        }
    }

    private const int SigTerm = 15;

    // Blittable signature: plain DllImport needs no unsafe code and no marshalling stub.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
