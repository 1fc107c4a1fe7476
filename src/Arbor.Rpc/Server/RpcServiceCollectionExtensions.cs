using Microsoft.Extensions.DependencyInjection;

namespace Arbor.Rpc.Server;

/// <summary>Registers the RPC server's options.</summary>
public static class RpcServiceCollectionExtensions
{
    /// <summary>Registers <see cref="RpcServerOptions"/>, optionally configuring them.</summary>
    public static IServiceCollection AddArborRpc(this IServiceCollection services, Action<RpcServerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = services.AddOptions<RpcServerOptions>();
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        builder.Validate(options =>
        {
            options.Validate();
            return true;
        });
        return services;
    }
}
