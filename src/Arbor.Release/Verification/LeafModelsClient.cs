using Arbor.Contracts.V1;
using Arbor.Rpc.Client;

namespace Arbor.Release.Verification;

/// <summary>Asks live leaves what they serve (<c>arbor.v1.Leaf/ListModels</c> over gRPC). Keeps one channel per leaf.</summary>
public sealed class LeafModelsClient : IDisposable
{
    private readonly Dictionary<Uri, RpcChannel> _channels = [];
    private readonly Lock _gate = new();
    private readonly TimeSpan _timeout;

    public LeafModelsClient(TimeSpan? timeout = null)
    {
        _timeout = timeout ?? TimeSpan.FromSeconds(5);
    }

    public async Task<LeafView> ListAsync(Uri leaf, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        RpcChannel channel;
        lock (_gate)
        {
            if (!_channels.TryGetValue(leaf, out channel!))
            {
                channel = new RpcChannel(leaf);
                _channels[leaf] = channel;
            }
        }

        var response = await new Contracts.V1.Leaf.LeafClient(channel.Invoker)
            .ListModelsAsync(new ListModelsRequest(), deadline: DateTime.UtcNow + _timeout, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
        return new LeafView(leaf, response.Partition, [.. response.Models.Select(m => new LeafModelView(
            m.Name,
            m.DefaultVersion,
            [.. m.Versions.Select(v => new LeafVersionView(v.Version, StateName(v.State), v.SignatureSha256, string.IsNullOrEmpty(v.Error) ? null : v.Error))]))]);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var channel in _channels.Values)
            {
                channel.Dispose();
            }

            _channels.Clear();
        }
    }

    private static string StateName(VersionState state) => state switch
    {
        VersionState.Loading => "loading",
        VersionState.Available => "available",
        VersionState.Unloading => "unloading",
        VersionState.Failed => "failed",
        VersionState.Unloaded => "unloaded",
        _ => "unspecified",
    };
}
