using System.Text.Json;
using Arbor.Cli.Bench;
using Arbor.Rpc.Client;

namespace Arbor.Cli.Cluster;

/// <summary>A running root for one fan-out mode: its process, a gRPC channel to it and its admin listener.</summary>
public sealed class RootProcess : IAsyncDisposable
{
    public RootProcess(BenchMode mode, ManagedProcess process, Uri grpcAddress, Uri httpAddress, Uri adminAddress, string configPath)
    {
        Mode = mode;
        Process = process;
        GrpcAddress = grpcAddress;
        HttpAddress = httpAddress;
        AdminAddress = adminAddress;
        ConfigPath = configPath;
        Channel = new RpcChannel(grpcAddress);
        Client = new Contracts.V1.Root.RootClient(Channel.Invoker);
        Admin = new HttpClient { BaseAddress = adminAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public BenchMode Mode { get; }

    public ManagedProcess Process { get; }

    public Uri GrpcAddress { get; }

    /// <summary>The public JSON scoring listener.</summary>
    public Uri HttpAddress { get; }

    /// <summary>The admin listener: health, <c>/admin/*</c>, metrics.</summary>
    public Uri AdminAddress { get; }

    public string ConfigPath { get; }

    /// <summary>The client side of the root's public gRPC API.</summary>
    public RpcChannel Channel { get; }

    /// <summary>The generated <c>arbor.v1.Root</c> client over <see cref="Channel"/>.</summary>
    public Contracts.V1.Root.RootClient Client { get; }

    public HttpClient Admin { get; }

    public async Task<RootAdminStats> ReadStatsAsync(CancellationToken cancellationToken)
    {
        await using var stream = await Admin.GetStreamAsync(new Uri("/admin/stats", UriKind.Relative), cancellationToken);
        using var json = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken);
        return RootAdminStats.Parse(json.RootElement);
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        Admin.Dispose();
        await Process.DisposeAsync();
    }
}
