using Arbor.Leaf.Inference;
using Arbor.Leaf.Native;
using Arbor.Signatures.Signatures;

namespace Arbor.Leaf.Models;

/// <summary>A model version in memory: the native module, its signature and its runner.</summary>
public sealed class LoadedModel(TorchModel torch, ModuleInfo signature, string signatureSha256, ModelRunner runner) : IAsyncDisposable
{
    public ModuleInfo Signature { get; } = signature;

    /// <summary>Lower-case hex SHA-256 of the archive's <c>module_info.json</c> bytes.</summary>
    public string SignatureSha256 { get; } = signatureSha256;

    public ModelRunner Runner { get; } = runner;

    public async ValueTask DisposeAsync()
    {
        await Runner.DisposeAsync().ConfigureAwait(false);
        torch.Dispose();
    }
}
