using System.Diagnostics;
using Arbor.Root.Admission;
using Arbor.Root.Cache;
using Arbor.Root.Preprocessing;
using Arbor.Root.Scoring;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Arbor.Root.Tests.Scoring;

/// <summary>The one mapping from a failed request to its status, and what the client is (not) told.</summary>
public sealed class RootOutcomesTests
{
    private readonly FakeLogger _logger = new();

    [Fact]
    public void StatusAlreadyChosen_Stays()
    {
        var chosen = new RpcException(new Status(StatusCode.NotFound, "unknown surface 's'"));

        Assert.Same(chosen, RootOutcomes.ToRpcException(chosen, _logger));
        Assert.Empty(_logger.Collector.GetSnapshot());
    }

    [Fact]
    public void ClientsAndAdmission_GetTheirOwnStatus_WithTheirMessage_NothingLogged()
    {
        var rejected = RootOutcomes.ToRpcException(new AdmissionRejectedException("queue full"), _logger);
        var badValue = RootOutcomes.ToRpcException(new FeatureValueException("feature 'age': a string for an int64 feature"), _logger);

        Assert.Equal((StatusCode.ResourceExhausted, "queue full"), (rejected.StatusCode, rejected.Status.Detail));
        Assert.Equal((StatusCode.InvalidArgument, "feature 'age': a string for an int64 feature"), (badValue.StatusCode, badValue.Status.Detail));
        Assert.Null(RootOutcomes.CorrelationOf(rejected));
        Assert.Empty(_logger.Collector.GetSnapshot());
    }

    [Fact]
    public void StoreUnavailable_ClientGetsUnavailableAndAnId_TheStoresOwnErrorOnlyInTheLog()
    {
        var store = new FeatureStoreUnavailableException("reading users from db-7.internal (10.1.2.3:5432) failed", new IOException("Connection refused"));

        var failure = RootOutcomes.ToRpcException(store, _logger);

        var id = RootOutcomes.CorrelationOf(failure);
        Assert.NotNull(id);
        Assert.Equal(StatusCode.Unavailable, failure.StatusCode);
        Assert.Equal($"feature store unavailable (correlation id {id})", failure.Status.Detail);
        var logged = Assert.Single(_logger.Collector.GetSnapshot());
        Assert.Equal(LogLevel.Warning, logged.Level);
        Assert.Contains(id, logged.Message, StringComparison.Ordinal);
        Assert.Contains("10.1.2.3:5432", logged.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnexpectedException_IsInternal_WithTheTraceIdAsCorrelationId_StackOnlyInTheLog()
    {
        using var source = new ActivitySource("test.root-outcomes");
        using var listener = new ActivityListener { ShouldListenTo = s => s == source, Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData };
        ActivitySource.AddActivityListener(listener);
        using var activity = source.StartActivity("score");
        var bug = new InvalidOperationException("cannot open /var/lib/arbor/secret.key");

        var failure = RootOutcomes.ToRpcException(bug, _logger);

        Assert.Equal(StatusCode.Internal, failure.StatusCode);
        Assert.Equal(activity!.TraceId.ToHexString(), RootOutcomes.CorrelationOf(failure));
        Assert.DoesNotContain("/var/lib", failure.Status.Detail, StringComparison.Ordinal);
        var logged = Assert.Single(_logger.Collector.GetSnapshot());
        Assert.Equal(LogLevel.Error, logged.Level);
        Assert.Same(bug, logged.Exception);
    }

    [Fact]
    public void ModelFailingAtTheLeaf_ClientGetsAnId_TheLeafsTextOnlyInTheLog()
    {
        const string Leaf = "The following operation failed in the TorchScript interpreter. File \"/models/m/3/code/__torch__.py\", line 12";

        var failed = RootOutcomes.ModelMessage("m", StatusCode.Internal, Leaf, _logger);
        var timedOut = RootOutcomes.ModelMessage("m", StatusCode.DeadlineExceeded, "Deadline exceeded.", _logger);

        Assert.StartsWith("the model failed at the leaf (correlation id ", failed, StringComparison.Ordinal);
        Assert.DoesNotContain("/models", failed, StringComparison.Ordinal);
        Assert.Equal("Deadline exceeded.", timedOut);
        var logged = Assert.Single(_logger.Collector.GetSnapshot());
        Assert.Contains("/models/m/3", logged.Message, StringComparison.Ordinal);
        Assert.Contains(failed[(failed.LastIndexOf(' ') + 1)..^1], logged.Message, StringComparison.Ordinal);
    }
}
