using Arbor.FeatureStore.Feast;
using Arbor.FeatureStore.Native;
using Arbor.FeatureStore.Redis;
using Arbor.FeatureStore.Sources;
using Arbor.Root.Admission;
using Arbor.Root.Authentication;
using Arbor.Root.Batching;
using Arbor.Root.Cache;
using Arbor.Root.Cache.Shared;
using Arbor.Root.ClientTrimming;
using Arbor.Root.Configuration;
using Arbor.Root.Diagnostics;
using Arbor.Root.FanOut;
using Arbor.Root.Health;
using Arbor.Root.Preprocessing;
using Arbor.Root.Routing;
using Arbor.Root.Scoring;
using Arbor.Rpc.Accounting;
using Arbor.Rpc.Client;
using Arbor.Rpc.Diagnostics;
using Arbor.Rpc.Security;
using Arbor.Rpc.Server;
using Arbor.Rpc.Tls;
using Arbor.Signatures.Registry;
using Arbor.Telemetry;
using Arbor.Telemetry.Status;
using Arbor.Trimming.Admin;
using Arbor.Trimming.Diagnostics;
using Arbor.Trimming.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Arbor.Root.Hosting;

/// <summary>
/// Builds a root process: three listeners, each serving only its own endpoints
/// (<see cref="ListenerIsolation"/>): the public gRPC port (<c>arbor.v1.Root/Score</c>, health,
/// reflection), the public HTTP port (the same call as JSON), and the admin port (health, admin,
/// metrics; loopback by default, optionally behind a bearer token), the public ones optionally
/// behind API keys (<see cref="PublicApiAuthentication"/>); and everything behind them
/// (feature store and cache, preprocessing, Feature Trimmer, routing, fan-out).
/// </summary>
public static class RootHost
{
    public const string ByteCountersName = "root-grpc";

    /// <summary>Builds (does not start) the root web application.</summary>
    public static WebApplication Build(RootHostOptions options, Action<ILoggingBuilder>? logging = null)
    {
        var loaded = RootConfigLoader.LoadFile(options.ConfigPath);
        var config = loaded.Config;
        var baseDirectory = Path.GetDirectoryName(Path.GetFullPath(options.ConfigPath))!;
        string Resolve(string path) => Path.GetFullPath(path, baseDirectory);
        string ResolveSecret(SecretValue secret, string jsonPath) => RootSecrets.Resolve(secret, baseDirectory, options.ConfigPath, jsonPath);

        var connectionString = config.FeatureStore.ConnectionString is { } secret ? ResolveSecret(secret, "$.feature_store.connection_string") : null;
        var adminTokens = new AdminTokens(AdminToken.From(config, baseDirectory, options.ConfigPath));
        var apiKeys = new ApiKeys(ApiKeySet.From(config, baseDirectory, options.ConfigPath));
        TlsCredentialSource LoadTls(string name, TlsFiles files, string jsonPath)
        {
            try
            {
                return new TlsCredentialSource(name, files);
            }
            catch (TlsCredentialsException e)
            {
                throw new RootConfigException(options.ConfigPath, [$"{jsonPath}: {e.Message}"]);
            }
        }

        var serverTls = config.Tls.Server is { } server ? LoadTls("root-server", new TlsFiles(server.Certificate, server.Key!, server.ClientCa, baseDirectory), "$.tls.server") : null;
        var leafTls = config.Tls.Leaves is { } leaves ? LoadTls("root-leaf-client", new TlsFiles(leaves.Certificate, leaves.Key!, leaves.Ca, baseDirectory), "$.tls.leaves") : null;

        var builder = WebApplication.CreateSlimBuilder();
        builder.AddArborTelemetry(new TelemetrySettings
        {
            ServiceName = "arbor-root",
            ServiceInstanceId = options.GrpcEndpoint.ToString(),
            Meters = [RootMetrics.MeterName, FeatureCacheMetrics.MeterName, FeastSourceMetrics.MeterName, TrimmerMetrics.MeterName, RpcMetrics.MeterName],
            ActivitySources = [RootTracing.SourceName],
            OtlpEndpoint = config.Telemetry.OtlpEndpoint,
            OtlpProtocol = config.Telemetry.OtlpProtocol,
            LogFormat = config.Telemetry.LogFormat,
        });
        logging?.Invoke(builder.Logging);
        ListenOptions? grpcListener = null; // Kestrel sets its endpoint to the bound one
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(options.GrpcEndpoint, listen =>
            {
                grpcListener = listen;
                // Counting first, so that it counts the bytes below TLS.
                listen.UseRpc(ByteCounters.Server(ByteCountersName)).ServeOnly(ListenerKind.Grpc);
                if (serverTls is not null)
                {
                    listen.UseTls(serverTls, ByteCountersName, RpcKestrelExtensions.TlsLogger(listen));
                }
            });
            kestrel.Listen(options.HttpEndpoint, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                listen.ServeOnly(ListenerKind.Http);
                if (serverTls is not null)
                {
                    listen.UseTls(serverTls, "root-http", RpcKestrelExtensions.TlsLogger(listen));
                }
            });
            kestrel.Listen(options.AdminEndpoint, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                listen.ServeOnly(ListenerKind.Admin);
            });
            kestrel.Limits.MaxRequestBodySize = config.Limits.MaxMessageBytes;
        });

        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton(loaded);
        services.AddSingleton(apiKeys);
        services.AddSingleton<WarmupGate>();
        services.AddSingleton(adminTokens);
        services.AddSingleton(TimeProvider.System);
        services.AddArborGrpc(grpc => grpc.MaxReceiveMessageSize = grpc.MaxSendMessageSize = config.Limits.MaxMessageBytes).AddCheck<RootReadinessCheck>(RootReadinessCheck.Name, tags: [RpcServiceCollectionExtensions.ReadinessTag]);
        services.AddSingleton<RootGrpcService>();
        services.AddArborDrain(options.Drain);
        services.AddFeatureTrimmer(trimmer =>
        {
            foreach (var bundle in config.Bundles)
            {
                trimmer.BundlePaths.Add(Resolve(bundle));
            }
        });

        var registry = config.Registry is { } registryPath
            ? FeatureRegistryJson.ReadFile(Resolve(registryPath))
            : new FeatureRegistry(FeatureRegistry.SchemaV1, []);
        services.AddSingleton(new FeaturePreprocessor(registry));
        var feastConnectionString = config.FeatureStore.Feast?.OnlineStore.ConnectionString is { } feastSecret
            ? ResolveSecret(feastSecret, "$.feature_store.feast.online_store.connection_string")
            : null;
        services.AddSingleton<FeastSourceMetrics>();
        services.AddSingleton<IServableFeatureSource>(sp => config.FeatureStore.Kind switch
        {
            "postgres" => new PostgresFeatureStore(connectionString!),
            "redis" => new RedisFeatureStore(connectionString!, config.FeatureStore.KeyPrefix),
            "feast" => OpenFeast(config.FeatureStore.Feast!, feastConnectionString, Resolve, sp),
            _ => new SqliteFeatureStore(Resolve(config.FeatureStore.Path!)),
        });
        services.AddSingleton(new FeatureCacheOptions
        {
            MaxBytes = config.Cache.MaxBytes,
            TimeToLive = TimeSpan.FromSeconds(config.Cache.TtlSeconds),
            RefreshWait = TimeSpan.FromMilliseconds(config.Cache.RefreshWaitMs),
        });
        services.AddSingleton<FeatureCacheMetrics>();
        // Requests copy what the cache holds.
        var sharedTierRedis = config.Cache.Shared?.Redis is { } tierSecret ? ResolveSecret(tierSecret, "$.cache.shared.redis") : null;
        services.AddSingleton<SharedTierMetrics>();
        if (config.Cache.Shared is { } shared)
        {
            services.AddSingleton(sp => new SharedFeatureTier(
                sp.GetRequiredService<IServableFeatureSource>(),
                new SharedTierOptions
                {
                    Redis = sharedTierRedis!,
                    KeyPrefix = shared.Prefix,
                    TimeToLive = TimeSpan.FromSeconds(shared.TtlSeconds),
                    Timeout = TimeSpan.FromMilliseconds(shared.TimeoutMs),
                    FailureBackoff = TimeSpan.FromMilliseconds(shared.FailureBackoffMs),
                    MaxPendingWrites = shared.MaxPendingWrites,
                },
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<SharedTierMetrics>(),
                sp.GetRequiredService<ILogger<SharedFeatureTier>>()));
            services.AddHostedService(sp => new SharedTierConnection(sp.GetRequiredService<SharedFeatureTier>()));
        }

        // Values are preprocessed once, as the cache is filled (from the shared tier, when there is one, else from the store).
        services.AddSingleton(sp => new PreprocessedFeatureSource(
            (IFeatureSource?)sp.GetService<SharedFeatureTier>() ?? sp.GetRequiredService<IServableFeatureSource>(), sp.GetRequiredService<FeaturePreprocessor>()));
        services.AddSingleton(sp => new FeatureCache(
            sp.GetRequiredService<PreprocessedFeatureSource>(),
            sp.GetRequiredService<FeatureCacheOptions>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<FeatureCacheMetrics>(),
            sp.GetRequiredService<ILogger<FeatureCache>>()));
        services.AddSingleton(sp => new RequestFeatureLoader(sp.GetRequiredService<FeatureCache>(), sp.GetRequiredService<FeaturePreprocessor>(), sp.GetRequiredService<RootMetrics>()));
        services.AddSingleton<RequestBatchAssembler>();
        services.AddSingleton(sp => new FetchPlanner(sp.GetRequiredService<FeaturePreprocessor>()));
        services.AddSingleton(sp => new LeafClientPool(
            sp.GetRequiredService<TimeProvider>(),
            address => new RpcChannel(leafTls is null ? address : LeafTls.SecureAddress(address), new RpcChannelOptions
            {
                MaxReceiveMessageSize = config.Limits.MaxMessageBytes,
                MaxSendMessageSize = config.Limits.MaxMessageBytes,
                ConnectTimeout = LeafConnectTimeout.For(config),
                Connections = config.FanOut.Connections,
                SslOptions = leafTls is null ? null : TlsClientOptions.Create(leafTls, address, sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(TlsClientOptions).FullName!)),
            }),
            new LeafClientPoolOptions { HealthProbeInterval = TimeSpan.FromMilliseconds(config.Discovery.HealthProbeIntervalMs) },
            sp.GetRequiredService<ILogger<LeafClientPool>>(),
            sp.GetRequiredService<RootMetrics>()));
        services.AddHostedService<LeafDiscoveryService>();
        services.AddSingleton(sp => new RoutingState(RoutingTable.Build(config), sp.GetRequiredService<LeafClientPool>()));
        services.AddSingleton<FanOutMetrics>();
        services.AddSingleton<LeafFanOut>();
        services.AddSingleton<ShadowVerifier>();
        services.AddSingleton<RootMetrics>();
        services.AddSingleton(AdmissionOptions.From(config.Admission, Environment.ProcessorCount));
        services.AddSingleton<AdmissionMetrics>();
        services.AddSingleton<AdmissionControl>();
        services.AddSingleton(sp =>
        {
            var metrics = sp.GetRequiredService<RootMetrics>();
            var admission = sp.GetRequiredService<AdmissionControl>();
            var blocks = sp.GetService<IMemoryPoolFactory<byte>>() as LargeBlockMemoryPool.Factory;
            return new IdleMemoryRelease(
                () => metrics.RequestCount,
                () => admission.InFlight,
                TimeSpan.FromSeconds(config.Admission.ReleaseMemoryAfterIdleSeconds),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<IdleMemoryRelease>>(),
                () =>
                {
                    blocks?.ReleaseFree();
                    IdleMemoryRelease.ReleaseHeap();
                });
        });
        services.AddHostedService(sp => sp.GetRequiredService<IdleMemoryRelease>());
        services.AddSingleton<ClientFeatureViews>();
        services.AddSingleton<ClientFeatureViewEndpoint>();
        services.AddSingleton<RootScorer>();
        // Readiness: the store is initialised and the leaves checked before the server accepts calls.
        var checkInterval = TimeSpan.FromMilliseconds(config.Readiness.CheckIntervalMs);
        var checkTimeout = TimeSpan.FromMilliseconds(config.Readiness.CheckTimeoutMs);
        services.AddSingleton(sp => new FeatureStoreReadiness(
            sp.GetRequiredService<IServableFeatureSource>(), checkInterval, checkTimeout, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<FeatureStoreReadiness>>()));
        services.AddHostedService(sp => sp.GetRequiredService<FeatureStoreReadiness>());
        services.AddSingleton(sp => new LeafReadiness(
            sp.GetRequiredService<RoutingState>(), sp.GetRequiredService<LeafClientPool>(), checkInterval, checkTimeout, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<LeafReadiness>>()));
        services.AddHostedService(sp => sp.GetRequiredService<LeafReadiness>());
        services.AddSingleton(sp => new RootWarmup(
            config.Warmup,
            sp.GetRequiredService<FeatureStoreReadiness>(),
            sp.GetRequiredService<LeafReadiness>(),
            sp.GetRequiredService<RoutingState>(),
            sp.GetRequiredService<FeaturePreprocessor>(),
            () => WarmupScorer.Create(sp),
            sp.GetRequiredService<WarmupGate>(),
            () => WarmupTarget.For(grpcListener?.IPEndPoint, serverTls),
            sp.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>().ApplicationStarted,
            TimeSpan.FromMilliseconds(Math.Min(config.Readiness.CheckIntervalMs, 100)),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<RootWarmup>>(),
            config.Warmup.PreloadFile is { } preloadFile
                ? new CachePreload(Resolve(preloadFile), sp.GetRequiredService<FeatureCache>(), sp.GetRequiredService<FetchPlanner>(), sp.GetRequiredService<FeatureCacheOptions>())
                : null));
        services.AddHostedService(sp => sp.GetRequiredService<RootWarmup>());
        services.AddSingleton(sp => new RootReadinessCheck(sp.GetRequiredService<FeatureStoreReadiness>(), sp.GetRequiredService<LeafReadiness>(), sp.GetRequiredService<RootWarmup>(), config.Readiness));
        services.AddSingleton(sp => new TlsReloadService(
            [.. new[] { serverTls, leafTls }.OfType<TlsCredentialSource>()], TimeSpan.FromMilliseconds(config.Tls.ReloadIntervalMs), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<TlsReloadService>>()));
        services.AddHostedService(sp => sp.GetRequiredService<TlsReloadService>());
        services.AddSingleton(sp => new TrafficHistory(
            RootStatusPage.Instruments, sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), sp.GetRequiredService<TimeProvider>(), RootStatusPage.Slot, RootStatusPage.Slots));
        services.AddSingleton<RootConfigReloader>();
        services.AddHostedService(sp => sp.GetRequiredService<RootConfigReloader>());

        var app = builder.Build();
        app.UseRouting();
        app.UseListenerIsolation(() => adminTokens.Current?.Tokens);
        app.UsePublicApiAuthentication();
        app.MapGrpcService<RootGrpcService>();
        app.MapArborGrpcStandardServices();
        app.MapRootJson().OnListener(ListenerKind.Http);
        app.MapClientFeaturesJson().OnListener(ListenerKind.Http);
        app.MapRootAdmin();
        app.MapTrimmerAdmin().OnListener(ListenerKind.Admin);

        // Listening from the start: the status page shows the traffic of the last minutes.
        app.Services.GetRequiredService<TrafficHistory>();
        app.Services.GetRequiredService<RootReadinessCheck>(); // follows the checks from the first one on
        return app;
    }

    private static FeastFeatureSource OpenFeast(FeastStoreConfig feast, string? connectionString, Func<string, string> resolve, IServiceProvider services) =>
        FeastConfigValidation.Open(
            feast, connectionString, resolve, services.GetRequiredService<FeaturePreprocessor>(), services.GetRequiredService<TimeProvider>(), services.GetRequiredService<FeastSourceMetrics>());
}
