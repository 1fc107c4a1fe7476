using System.Diagnostics;
using System.Globalization;

using Arbor.Rpc.Server;

namespace Arbor.Root.Store;

/// <summary>
/// A private PostgreSQL server for tests and benchmarks (<c>arbor bench --scenario faults</c>): a
/// fresh cluster in a temporary folder on a free loopback port, started in the constructor and
/// stopped (and deleted) on dispose; it can be stopped, started, paused and resumed to play a store
/// outage. Uses the server binaries
/// installed on the machine (<c>/usr/lib/postgresql/&lt;version&gt;/bin</c>, or <c>ARBOR_PG_BIN</c>).
/// When run as root the server runs as the <c>postgres</c> user, since initdb refuses root.
/// </summary>
public sealed class LocalPostgresServer : IDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    private readonly string _root;
    private readonly string _dataDirectory;
    private readonly string _binDirectory;
    private readonly bool _asPostgresUser;
    private bool _running;

    public LocalPostgresServer()
    {
        _binDirectory = FindBinDirectory();
        _asPostgresUser = Environment.IsPrivilegedProcess;
        _root = Directory.CreateTempSubdirectory("arbor-pg-").FullName;
        _dataDirectory = Path.Combine(_root, "data");
        try
        {
            if (_asPostgresUser)
            {
                Run("chown", ["postgres:postgres", _root], asPostgres: false);
            }

            RunTool("initdb", ["-D", _dataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
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

    /// <summary>Why no server can be started on this machine (no server binaries), or null when one can.</summary>
    public static string? Unavailable()
    {
        try
        {
            FindBinDirectory();
            return null;
        }
        catch (InvalidOperationException e)
        {
            return e.Message;
        }
    }

    /// <summary>An Npgsql connection string for the <c>postgres</c> database as the <c>postgres</c> superuser.</summary>
    public string ConnectionString => string.Create(
        CultureInfo.InvariantCulture,
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=true;Timeout=30");

    /// <summary>The same server, with <c>search_path</c> set to <paramref name="schema"/> (isolates one test's tables).</summary>
    public string ConnectionStringFor(string schema) => ConnectionString + ";Search Path=" + schema;

    /// <summary>Starts the server (again, after <see cref="Stop"/>) on the same port with the same data.</summary>
    public void Start()
    {
        if (_running)
        {
            return;
        }

        // Durability is pointless for a throw-away cluster; turning it off keeps it fast.
        var options = string.Create(
            CultureInfo.InvariantCulture,
            $"-p {Port} -k {_root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        RunTool("pg_ctl", ["-D", _dataDirectory, "-l", Path.Combine(_root, "server.log"), "-o", options, "-w", "-t", "60", "start"]);
        _running = true;
    }

    /// <summary>Stops the server abruptly (a store that goes down); dispose still cleans up.</summary>
    public void Stop()
    {
        if (_running)
        {
            _running = false;
            RunTool("pg_ctl", ["-D", _dataDirectory, "-m", "immediate", "-w", "stop"]);
        }
    }

    /// <summary>
    /// Freezes the server (SIGSTOP to the postmaster and every process under it): connections stay
    /// open but nothing answers, as with a hung database. <see cref="Resume"/> (in a finally) undoes it.
    /// </summary>
    public void Pause()
    {
        // The postmaster first, so it forks no backend between the scan of its children and their stop.
        var processes = ServerProcesses();
        Signal("STOP", processes[..1]);
        Signal("STOP", ServerProcesses());
    }

    /// <summary>Lets a <see cref="Pause"/>d server run again (SIGCONT).</summary>
    public void Resume() => Signal("CONT", ServerProcesses());

    public void Dispose()
    {
        try
        {
            Stop();
        }
        catch (InvalidOperationException)
        {
            // Already gone: nothing to stop.
        }

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

    /// <summary>The postmaster (first line of postmaster.pid), then every process descending from it.</summary>
    private List<int> ServerProcesses()
    {
        var postmaster = int.Parse(File.ReadLines(Path.Combine(_dataDirectory, "postmaster.pid")).First(), CultureInfo.InvariantCulture);
        var parents = new Dictionary<int, int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses.
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                parents[pid] = int.Parse(fields[1], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                // The process ended while listed.
            }
        }

        var processes = new List<int> { postmaster };
        for (var i = 0; i < processes.Count; i++)
        {
            processes.AddRange(parents.Where(p => p.Value == processes[i]).Select(p => p.Key));
        }

        return processes;
    }

    private void Signal(string signal, IReadOnlyList<int> processes) =>
        Run("kill", [$"-{signal}", .. processes.Select(p => p.ToString(CultureInfo.InvariantCulture))], asPostgres: false);

    private static string FindBinDirectory()
    {
        var configured = Environment.GetEnvironmentVariable("ARBOR_PG_BIN");
        if (!string.IsNullOrEmpty(configured))
        {
            return configured;
        }

        const string parent = "/usr/lib/postgresql";
        var candidates = Directory.Exists(parent)
            ? Directory.GetDirectories(parent)
                .Select(d => (Dir: d, Version: int.TryParse(Path.GetFileName(d), out var v) ? v : -1))
                .Where(d => File.Exists(Path.Combine(d.Dir, "bin", "initdb")))
                .OrderByDescending(d => d.Version)
                .ToList()
            : [];
        return candidates.Count > 0
            ? Path.Combine(candidates[0].Dir, "bin")
            : throw new InvalidOperationException(
                "PostgreSQL server binaries not found under /usr/lib/postgresql (install the 'postgresql' package, see scripts/prereqs.sh) or set ARBOR_PG_BIN.");
    }

    private void RunTool(string tool, IReadOnlyList<string> arguments) =>
        Run(Path.Combine(_binDirectory, tool), arguments, _asPostgresUser);

    private void Run(string fileName, IReadOnlyList<string> arguments, bool asPostgres)
    {
        var start = new ProcessStartInfo
        {
            FileName = asPostgres ? "runuser" : fileName,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _root,
        };
        if (asPostgres)
        {
            start.ArgumentList.Add("-u");
            start.ArgumentList.Add("postgres");
            start.ArgumentList.Add("--");
            start.ArgumentList.Add(fileName);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}.");

        // Read both streams concurrently: a full pipe would block the child.
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(CommandTimeout))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{Path.GetFileName(fileName)} did not finish within {CommandTimeout}.");
        }

        if (process.ExitCode != 0)
        {
            var log = Path.Combine(_root, "server.log");
            var serverLog = File.Exists(log) ? File.ReadAllText(log) : string.Empty;
            throw new InvalidOperationException(
                $"{Path.GetFileName(fileName)} {string.Join(' ', arguments)} failed ({process.ExitCode}): {stdout.Result}{stderr.Result}{serverLog}");
        }
    }
}
