using Arbor.Contracts.V1;
using Arbor.Leaf.Conversion;
using Arbor.Leaf.Diagnostics;
using Arbor.Leaf.Inference;
using Arbor.Leaf.Models;
using Arbor.Telemetry;
using Microsoft.Extensions.Logging;

namespace Arbor.Leaf.Service;

/// <summary>
/// Serves one Score call: takes a lease on the model version, converts the columns with that
/// version's converter, runs inference and fills the response. Every failure becomes a
/// <see cref="LeafScoreException"/> with the right gRPC status.
/// </summary>
public sealed class LeafScorer(ModelManager manager, TimeProvider time, LeafMetrics metrics, ILogger logger, int maxRowsPerCall = Configuration.LeafServerOptions.DefaultMaxRowsPerCall)
{
    /// <summary>A model failing on every call writes a few Warning lines per interval, not one per call.</summary>
    private readonly LogLimiter _failureLog = new();

    /// <exception cref="LeafScoreException">NOT_FOUND, INVALID_ARGUMENT, UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED (shed: the inference queue is full), FAILED_PRECONDITION (a trim gap: send it untrimmed) or INTERNAL.</exception>
    public async Task<LeafScoreResponse> ScoreAsync(LeafScoreRequest request, DateTimeOffset? deadline, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var started = time.GetTimestamp();
        var version = request.Version;
        var status = LeafStatusCode.Ok;
        using var activity = LeafTracing.Source.StartActivity("leaf.score");
        activity?.SetTag("arbor.model", request.Model);
        activity?.SetTag("arbor.rows", request.RowCount);
        try
        {
            if (request.RowCount > (uint)maxRowsPerCall)
            {
                throw new LeafScoreException(LeafStatusCode.InvalidArgument, $"row_count {request.RowCount} is above this leaf's limit of {maxRowsPerCall} rows per call");
            }

            var lease = Acquire(request);
            using (lease)
            {
                version = lease.Version.Version;
                var runner = lease.Runner;
                var response = new LeafScoreResponse { Model = request.Model, Version = version, RowCount = request.RowCount };
                response.Outputs.AddRange(lease.Version.Loaded!.Signature.Outputs.Select(o => o.Name));
                if (request.RowCount == 0)
                {
                    return response;
                }

                var convertStarted = time.GetTimestamp();
                using var batch = ConvertTraced(runner.Converter, request, lease.Version.Loaded!.AbsentFeatures);
                metrics.Converted(request.Model, version, time.GetElapsedTime(convertStarted).TotalSeconds, batch.UnusedFeatures, batch.MissingFeatures);
                if (batch.MissingFeatures > 0 && request.TrimmedFor is { } trimmedFor)
                {
                    RefuseTrimGap(request, trimmedFor, lease.Version.Version, runner.Converter);
                }

                response.UnusedFeatures = (uint)batch.UnusedFeatures;
                response.MissingFeatures = (uint)batch.MissingFeatures;

                using var scores = await InferAsync(runner, batch, request.Unbatched, deadline, cancellationToken).ConfigureAwait(false);
                response.Scores.AddRange(scores.Scores);
                return response;
            }
        }
        catch (LeafScoreException e)
        {
            status = e.Status;
            e.Version ??= string.IsNullOrEmpty(version) ? null : version;
            if (_failureLog.TryAcquire(request.Model, out var heldBack))
            {
                LeafLog.ScoreFailed(logger, request.Model, version, e.Status.ToString(), heldBack, e.Message);
            }
            else
            {
                LeafLog.ScoreFailedHeldBack(logger, request.Model, version, e.Status.ToString(), e.Message);
            }
            throw;
        }
        catch (OperationCanceledException)
        {
            status = LeafStatusCode.Cancelled;
            throw;
        }
        finally
        {
            if (activity is not null)
            {
                activity.SetTag("arbor.version", version);
                activity.SetTag("rpc.grpc.status", status.ToString());
                if (status != LeafStatusCode.Ok)
                {
                    activity.SetStatus(System.Diagnostics.ActivityStatusCode.Error, status.ToString());
                }
            }

            metrics.Request(request.Model, version, status.ToString(), time.GetElapsedTime(started).TotalSeconds);
        }
    }

    /// <summary>
    /// A trimmed request lacks features the served version uses: when the allowlist it was trimmed to
    /// is not this version's and those features are not ones the root said it lacked, the allowlist
    /// does not cover this version, and scoring on defaults could silently change the scores.
    /// FAILED_PRECONDITION tells the root to send the call again untrimmed.
    /// </summary>
    private void RefuseTrimGap(LeafScoreRequest request, TrimmedFor trimmedFor, string version, FeatureConverter converter)
    {
        if (string.Equals(trimmedFor.AllowlistSha256, converter.FeatureSetSha256, StringComparison.Ordinal))
        {
            return;
        }

        // Features the root listed as absent on its side were on the allowlist: not removed by the trim.
        var absent = converter.AbsentFeatures(request).Where(f => !trimmedFor.AbsentFeatures.Contains(f)).ToList();
        if (absent.Count == 0)
        {
            return;
        }

        metrics.TrimGap(request.Model, version, trimmedFor.Version);
        throw new LeafScoreException(
            LeafStatusCode.FailedPrecondition,
            $"model '{request.Model}' version '{version}' uses features the request was trimmed without " +
            $"(trimmed for version '{trimmedFor.Version}', allowlist {Short(trimmedFor.AllowlistSha256)}): {string.Join(", ", absent)}");
    }

    private static string Short(string sha256) => sha256.Length > 12 ? sha256[..12] : sha256;

    /// <summary>The partition's models, versions and their states.</summary>
    public ListModelsResponse ListModels()
    {
        var response = new ListModelsResponse { Partition = manager.Partition };
        foreach (var model in manager.Describe())
        {
            var served = new ServedModel
            {
                Name = model.Name,
                DefaultVersion = model.DefaultVersion ?? string.Empty,
                Role = model.Role == Configuration.ModelRole.Experiment ? "experiment" : "production",
                Required = model.Required,
                Ready = model.Ready,
            };
            foreach (var version in model.Versions)
            {
                var entry = new ServedVersion
                {
                    Version = version.Version,
                    State = ToProto(version.State),
                    SignatureSha256 = version.SignatureSha256 ?? string.Empty,
                    Error = version.Error ?? string.Empty,
                };
                entry.Outputs.AddRange(version.Outputs);
                served.Versions.Add(entry);
            }

            response.Models.Add(served);
        }

        return response;
    }

    private VersionLease Acquire(LeafScoreRequest request)
    {
        var outcome = manager.TryAcquire(request.Model, request.Version, out var lease);
        return outcome switch
        {
            LeaseOutcome.Acquired => lease,
            LeaseOutcome.UnknownModel => throw new LeafScoreException(
                LeafStatusCode.NotFound, $"model '{request.Model}' is not served by partition '{manager.Partition}'"),
            LeaseOutcome.UnknownVersion => throw new LeafScoreException(
                // The versions it has are the operator's to see (/models, ListModels), not a caller's.
                LeafStatusCode.NotFound, $"model '{request.Model}' has no available version '{request.Version}'"),
            _ => throw new LeafScoreException(LeafStatusCode.Unavailable, $"model '{request.Model}' has no available version yet"),
        };
    }

    private static ConvertedBatch ConvertTraced(FeatureConverter converter, LeafScoreRequest request, AbsentFeatureWatch watch)
    {
        using var activity = LeafTracing.Source.StartActivity("leaf.convert");
        return Convert(converter, request, watch);
    }

    private static ConvertedBatch Convert(FeatureConverter converter, LeafScoreRequest request, AbsentFeatureWatch watch)
    {
        try
        {
            return converter.Convert(request, watch);
        }
        catch (FeatureConversionException e)
        {
            throw new LeafScoreException(LeafStatusCode.InvalidArgument, e.Message, e);
        }
    }

    private static async Task<ScoreBuffer> InferAsync(ModelRunner runner, ConvertedBatch batch, bool unbatched, DateTimeOffset? deadline, CancellationToken cancellationToken)
    {
        try
        {
            return await runner.ScoreAsync(batch, deadline, cancellationToken, unbatched).ConfigureAwait(false);
        }
        catch (DeadlineExceededException e)
        {
            throw new LeafScoreException(LeafStatusCode.DeadlineExceeded, e.Message, e);
        }
        catch (InferenceFailedException e)
        {
            throw new LeafScoreException(LeafStatusCode.Internal, e.Message, e);
        }
        catch (ObjectDisposedException e)
        {
            throw new LeafScoreException(LeafStatusCode.Unavailable, $"{runner.Model} version {runner.Version} is unloading: {e.Message}", e);
        }
        catch (LeafOverloadedException e)
        {
            throw new LeafScoreException(LeafStatusCode.ResourceExhausted, e.Message, e);
        }
    }

    private static VersionState ToProto(ModelVersionState state) => state switch
    {
        ModelVersionState.Loading => VersionState.Loading,
        ModelVersionState.Available => VersionState.Available,
        ModelVersionState.Unloading => VersionState.Unloading,
        ModelVersionState.Unloaded => VersionState.Unloaded,
        ModelVersionState.Failed => VersionState.Failed,
        _ => VersionState.Unspecified,
    };
}
