using Arbor.Trimming.Bundles;
using Microsoft.Extensions.Logging;

namespace Arbor.Trimming.Diagnostics;

/// <summary>The Feature Trimmer's log events (stable ids 4100–4199).</summary>
internal static partial class TrimmerLog
{
    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Bundle {BundleId} loaded from {Path}: bundle '{Bundle}', {Models} models, content {ContentHash}.")]
    public static partial void BundleLoaded(this ILogger logger, string bundleId, string path, string bundle, int models, string contentHash);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Error, Message = "Bundle {BundleId} could not be loaded at start-up ({Reason}): {Error}. Its models are sent untrimmed until it loads.")]
    public static partial void BundleFailedAtStartup(this ILogger logger, string bundleId, BundleReadFailure reason, string error);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Warning, Message = "Bundle {BundleId} reload failed ({Reason}): {Error}. The map loaded {LoadedAt:o} stays active.")]
    public static partial void BundleReloadFailed(this ILogger logger, string bundleId, BundleReadFailure reason, string error, DateTimeOffset loadedAt);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Warning, Message = "Bundle {BundleId} still has no map ({Reason}): {Error}. Its models are sent untrimmed.")]
    public static partial void BundleStillFailing(this ILogger logger, string bundleId, BundleReadFailure reason, string error);

    [LoggerMessage(EventId = 4105, Level = LogLevel.Warning, Message = "Model '{Model}' is in bundles '{Kept}' and '{Ignored}'; the allowlists of '{Kept}' (listed first) are used.")]
    public static partial void ModelInSeveralBundles(this ILogger logger, string model, string kept, string ignored);

    [LoggerMessage(EventId = 4106, Level = LogLevel.Warning, Message = "Watching {Directory} for bundle {BundleId} failed: {Error}. The periodic rescan covers it until the watch is re-armed.")]
    public static partial void WatchFailed(this ILogger logger, string directory, string bundleId, string error);

    [LoggerMessage(EventId = 4107, Level = LogLevel.Information, Message = "Feature Trimmer started: {Bundles} bundles, {Active} active, {Models} models with allowlists.")]
    public static partial void Started(this ILogger logger, int bundles, int active, int models);

    [LoggerMessage(EventId = 4108, Level = LogLevel.Information, Message = "Bundle {BundleId} file is back with the content already active.")]
    public static partial void BundleRecovered(this ILogger logger, string bundleId);

    [LoggerMessage(EventId = 4109, Level = LogLevel.Warning, Message = "Trim gap: a leaf refused {Model} trimmed to version {AllowlistVersion}'s allowlist {AllowlistSha256} ({Detail}); such calls are sent again untrimmed until the allowlist for the served version lands.")]
    public static partial void TrimGap(this ILogger logger, string model, string allowlistVersion, string allowlistSha256, string detail);
}
