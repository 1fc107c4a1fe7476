using System.Diagnostics;
using System.Reflection;
namespace Arbor.Testing;

/// <summary>
/// The real gRPC peer of the interop tests (and the runner of the Python client's tests): Debian's
/// /usr/bin/python3 with python3-grpcio. The Python message classes come from one descriptor set
/// (<c>messages.pb</c>) that the protoc of the Grpc.Tools package writes once per test run, into a
/// temporary folder, from proto/arbor/v1, Arbor's description of Feast's types (proto/feast) and the standard gRPC protos in
/// tests/Arbor.Rpc.Tests/Interop/protos (health, reflection); interop_messages.py, copied beside it
/// and on every script's PYTHONPATH, builds the classes from it. (Generated *_pb2.py files would need a protobuf runtime as new as that
/// protoc, 7.x; Debian's python3-protobuf is 4.21.)
/// </summary>
public static class PythonInterop
{
    /// <summary>Debian's Python; the first python3 on PATH may be another one without grpcio.</summary>
    public const string Python = "/usr/bin/python3";

    private static readonly Lazy<string> GeneratedDirectory = new(Generate);

    /// <summary>The folder holding <c>messages.pb</c>.</summary>
    public static string MessagesDirectory => GeneratedDirectory.Value;

    /// <summary>The path of a script beside the tests (copied to the output folder's Interop folder).</summary>
    public static string Script(string name) => Path.Combine(AppContext.BaseDirectory, "Interop", name);

    /// <summary>Runs a Python script to completion within <paramref name="timeout"/>; returns stdout.</summary>
    public static async Task<string> RunAsync(IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var process = Start(arguments);
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"python {string.Join(' ', arguments)} did not finish in {timeout}.");
        }

        var output = await stdout;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"python {string.Join(' ', arguments)} exited {process.ExitCode}: {await stderr}");
        }

        return output;
    }

    /// <summary>Starts a Python script with redirected standard streams.</summary>
    public static Process Start(IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        // interop_messages (the message classes from messages.pb) is importable by every script.
        start.Environment["PYTHONPATH"] = MessagesDirectory;
        return Process.Start(start) ?? throw new InvalidOperationException($"Could not start {Python}.");
    }

    private static string Generate()
    {
        if (!File.Exists(Python))
        {
            throw new InvalidOperationException($"{Python} is missing: run scripts/prereqs.sh (Debian python3, python3-grpcio, python3-protobuf).");
        }

        var tools = typeof(PythonInterop).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "ProtocToolsPath").Value;
        var protoc = Path.Combine(tools ?? string.Empty, "linux_x64", "protoc");
        if (!File.Exists(protoc))
        {
            throw new InvalidOperationException($"protoc not found at {protoc} (it comes with the Grpc.Tools NuGet package).");
        }

        // NuGet may unpack the tool without its execute bit.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(protoc, File.GetUnixFileMode(protoc) | UnixFileMode.UserExecute);
        }
        var output = Directory.CreateTempSubdirectory("arbor-interop-pb-").FullName;
        var protoRoot = RepositoryPaths.Combine("proto");
        var standardRoot = RepositoryPaths.Combine("tests", "Arbor.Rpc.Tests", "Interop", "protos");
        var start = new ProcessStartInfo(protoc) { RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add($"-I{protoRoot}");
        start.ArgumentList.Add($"-I{standardRoot}");
        start.ArgumentList.Add("--include_imports");
        start.ArgumentList.Add($"--descriptor_set_out={Path.Combine(output, "messages.pb")}");
        foreach (var proto in Directory.GetFiles(Path.Combine(protoRoot, "arbor", "v1"), "*.proto")
            .Concat(Directory.GetFiles(Path.Combine(protoRoot, "feast"), "*.proto", SearchOption.AllDirectories)))
        {
            start.ArgumentList.Add(Path.GetRelativePath(protoRoot, proto));
        }

        foreach (var proto in Directory.GetFiles(standardRoot, "*.proto", SearchOption.AllDirectories))
        {
            start.ArgumentList.Add(Path.GetRelativePath(standardRoot, proto));
        }

        File.Copy(RepositoryPaths.Combine("tests", "Arbor.Rpc.Tests", "Interop", "interop_messages.py"), Path.Combine(output, "interop_messages.py"));
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)) || process.ExitCode != 0)
        {
            throw new InvalidOperationException($"protoc failed: {errors}");
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(output, recursive: true);
            }
            catch (IOException)
            {
            }
        };
        return output;
    }
}
