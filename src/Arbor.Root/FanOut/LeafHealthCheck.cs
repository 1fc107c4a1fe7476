using Arbor.Rpc.Client;
using Grpc.Core;
using Grpc.Health.V1;

namespace Arbor.Root.FanOut;

/// <summary>
/// Asks one leaf replica whether it serves: <c>grpc.health.v1.Health/Check</c> for the whole
/// server. As in gRPC's own client-side health checking, a server without the health service
/// (UNIMPLEMENTED) is taken as serving: it answered, and has no readiness to report.
/// </summary>
public static class LeafHealthCheck
{
    /// <summary>Null when the replica serves; otherwise why not, in a few words.</summary>
    public static async Task<string?> CheckAsync(RpcChannel channel, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(channel);
        var client = new Grpc.Health.V1.Health.HealthClient(channel.Invoker);
        try
        {
            var response = await client.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow + timeout, cancellationToken: cancellationToken).ConfigureAwait(false);
            return response.Status == HealthCheckResponse.Types.ServingStatus.Serving ? null : $"health: {response.Status}";
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unimplemented)
        {
            return null;
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            return $"health check failed: {e.StatusCode}";
        }
    }
}
