using System.Security.Cryptography;
using Arbor.Leaf.Checking;
using Arbor.Leaf.Configuration;
using Arbor.Leaf.Conversion;
using Arbor.Leaf.Diagnostics;
using Arbor.Leaf.Inference;
using Arbor.Leaf.Native;
using Arbor.Signatures.Signatures;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Arbor.Leaf.Models;

/// <summary>
/// Loads a version with libtorch, reads its signature from the archive's extra files, builds its
/// feature converter and warms it up with all-default batches, checking the output shape against
/// the signature before the version can be published.
/// </summary>
public sealed class ModelVersionLoader(PartitionConfig config, InferenceLimiter limiter, TimeProvider time, LeafMetrics metrics, ILogger? logger = null) : IModelVersionLoader
{
    private readonly ILogger _logger = logger ?? NullLogger.Instance;

    /// <summary>Batch sizes run at load: the profiling executor optimises after a few calls per shape.</summary>
    private static readonly int[] WarmupRows = [1, 1, 1, 8, 8, 8];

    public Task<LoadedModel> LoadAsync(RepositoryVersion version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(version);
        return Task.Run(() => Load(version), cancellationToken);
    }

    /// <summary>
    /// Loads an archive with libtorch and reads its signature, checking that it names the model and
    /// version of its folder: the one way a model version is loaded (serving and <c>arbor model check</c>).
    /// </summary>
    /// <exception cref="TorchException">libtorch cannot load the archive.</exception>
    /// <exception cref="InvalidDataException">It has no signature, or one for another model or version.</exception>
    /// <exception cref="Signatures.Validation.ArtefactException">Its signature is invalid.</exception>
    public static (TorchModel Torch, ModuleInfo Signature) Open(string path, string model, string version, string device)
    {
        var torch = TorchModel.Load(path, device);
        try
        {
            if (torch.SignatureJson.IsEmpty)
            {
                throw new InvalidDataException($"{path} has no extra file module_info.json: a model version without a signature cannot be served");
            }

            var signature = ModuleInfoParser.Parse(torch.SignatureJson, $"module_info.json in {path}");
            if (signature.Model != model || signature.Version != version)
            {
                throw new InvalidDataException(
                    $"{path}: its signature is for {signature.Model} version {signature.Version}, but it sits at {model}/{version}");
            }

            return (torch, signature);
        }
        catch
        {
            torch.Dispose();
            throw;
        }
    }

    private LoadedModel Load(RepositoryVersion version)
    {
        var (torch, signature) = Open(version.Path, version.Model, version.Version, config.Device);
        ModelRunner? runner = null;
        try
        {
            var sha = Convert.ToHexStringLower(SHA256.HashData(torch.SignatureJson.Span));
            var converter = new FeatureConverter(signature);
            runner = new ModelRunner(version.Model, version.Version, torch, converter, limiter, config.BatchingFor(version.Model), time, metrics);
            foreach (var rows in WarmupRows)
            {
                using var batch = converter.CreateDefaults(rows);
                using var scores = runner.Forward(batch, 1);
            }

            return new LoadedModel(torch, signature, sha, runner, new AbsentFeatureWatch(signature, metrics, _logger));
        }
        catch (Exception e)
        {
            runner?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            torch.Dispose();
            if (e is InferenceFailedException failed)
            {
                throw WarmUpFailed(version, failed);
            }

            throw;
        }
    }

    // libtorch's error names no input ("mat1 and mat2 shapes cannot be multiplied"): the model check,
    // run once the failed load has freed its memory, says which input or output disagrees with the signature.
    private Exception WarmUpFailed(RepositoryVersion version, InferenceFailedException failure)
    {
        IReadOnlyList<Signatures.Checking.ModelCheckProblem> found;
        try
        {
            found = new ModelChecker(config.Device).Check(version.Model, version.Version, version.Path, registry: null);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The explanation is a courtesy: the warm-up's own failure stands.
            return failure;
        }

        return found.Count == 0
            ? failure
            : new InferenceFailedException($"{failure.Message} (warm-up; the model check finds: {string.Join("; ", found.Select(p => p.Detail))})", failure);
    }
}
