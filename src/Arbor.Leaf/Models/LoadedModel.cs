using Arbor.Leaf.Conversion;
using Arbor.Leaf.Inference;
using Arbor.Leaf.Native;
using Arbor.Signatures.Signatures;

namespace Arbor.Leaf.Models;

/// <summary>A model version in memory: the native module, its signature, its runner and the watch on the features its requests lack.</summary>
public sealed class LoadedModel(TorchModel torch, ModuleInfo signature, string signatureSha256, ModelRunner runner, AbsentFeatureWatch absentFeatures) : IAsyncDisposable
{
    public ModuleInfo Signature { get; } = signature;

    /// <summary>Lower-case hex SHA-256 of the archive's <c>module_info.json</c> bytes.</summary>
    public string SignatureSha256 { get; } = signatureSha256;

    public ModelRunner Runner { get; } = runner;

    /// <summary>The features this version needs that no request has carried yet.</summary>
    public AbsentFeatureWatch AbsentFeatures { get; } = absentFeatures;

    public async ValueTask DisposeAsync()
    {
        await Runner.DisposeAsync().ConfigureAwait(false);
        torch.Dispose();
    }
}
