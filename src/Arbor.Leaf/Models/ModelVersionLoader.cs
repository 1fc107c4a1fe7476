using System.Security.Cryptography;
using Arbor.Leaf.Configuration;
using Arbor.Leaf.Conversion;
using Arbor.Leaf.Diagnostics;
using Arbor.Leaf.Inference;
using Arbor.Leaf.Native;
using Arbor.Signatures.Signatures;

namespace Arbor.Leaf.Models;

/// <summary>
/// Loads a version with libtorch, reads its signature from the archive's extra files, builds its
/// feature converter and warms it up with all-default batches, checking the output shape against
/// the signature before the version can be published.
/// </summary>
public sealed class ModelVersionLoader(PartitionConfig config, InferenceLimiter limiter, TimeProvider time, LeafMetrics metrics) : IModelVersionLoader
{
    /// <summary>Batch sizes run at load: the profiling executor optimises after a few calls per shape.</summary>
    private static readonly int[] WarmupRows = [1, 1, 1, 8, 8, 8];

    public Task<LoadedModel> LoadAsync(RepositoryVersion version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(version);
        return Task.Run(() => Load(version), cancellationToken);
    }

    private LoadedModel Load(RepositoryVersion version)
    {
        var torch = TorchModel.Load(version.Path, config.Device);
        ModelRunner? runner = null;
        try
        {
            if (torch.SignatureJson.IsEmpty)
            {
                throw new InvalidDataException($"{version.Path} has no extra file module_info.json: a model version without a signature cannot be served");
            }

            var signature = ModuleInfoParser.Parse(torch.SignatureJson, $"module_info.json in {version.Path}");
            if (signature.Model != version.Model || signature.Version != version.Version)
            {
                throw new InvalidDataException(
                    $"{version.Path}: its signature is for {signature.Model} version {signature.Version}, but it sits at {version.Model}/{version.Version}");
            }

            var sha = Convert.ToHexStringLower(SHA256.HashData(torch.SignatureJson.Span));
            var converter = new FeatureConverter(signature);
            runner = new ModelRunner(version.Model, version.Version, torch, converter, limiter, config.BatchingFor(version.Model), time, metrics);
            foreach (var rows in WarmupRows)
            {
                using var batch = converter.CreateDefaults(rows);
                using var scores = runner.Forward(batch, 1);
            }

            return new LoadedModel(torch, signature, sha, runner);
        }
        catch
        {
            runner?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            torch.Dispose();
            throw;
        }
    }
}
