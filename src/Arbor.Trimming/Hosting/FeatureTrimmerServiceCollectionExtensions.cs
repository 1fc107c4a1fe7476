using Arbor.Trimming.Diagnostics;
using Arbor.Trimming.Health;
using Arbor.Trimming.Options;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Arbor.Trimming.Hosting;

/// <summary>Registers the Feature Trimmer in a host.</summary>
public static class FeatureTrimmerServiceCollectionExtensions
{
    /// <summary>
    /// Registers the trimmer bound to <paramref name="section"/> (e.g. <c>Arbor:Trimmer</c>), validated
    /// at start-up, started with the host, with its metrics and a <c>feature_trimmer</c> health check.
    /// </summary>
    public static IServiceCollection AddFeatureTrimmer(this IServiceCollection services, IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return services.AddFeatureTrimmer(options => section.Bind(options));
    }

    /// <summary>Registers the trimmer configured by <paramref name="configure"/>.</summary>
    public static IServiceCollection AddFeatureTrimmer(this IServiceCollection services, Action<FeatureTrimmerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<FeatureTrimmerOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FeatureTrimmerOptions>, FeatureTrimmerOptionsValidator>());
        services.AddMetrics();
        services.AddLogging();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<TrimmerMetrics>();
        services.TryAddSingleton<FeatureTrimmer>();
        services.AddHostedService<FeatureTrimmerHostedService>();
        services.AddHealthChecks().AddCheck<FeatureTrimmerHealthCheck>("feature_trimmer");
        return services;
    }
}
