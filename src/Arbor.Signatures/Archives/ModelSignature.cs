using Arbor.Signatures.Signatures;

namespace Arbor.Signatures.Archives;

/// <summary>A validated signature read from a model archive, with the exact bytes it came from.</summary>
/// <param name="Info">The parsed signature.</param>
/// <param name="Json">The bytes of <c>module_info.json</c> as stored in the archive.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of <paramref name="Json"/> (a bundle's <c>signature_sha256</c>).</param>
/// <param name="EntryName">The archive entry the signature was read from.</param>
public sealed record ModelSignature(ModuleInfo Info, ReadOnlyMemory<byte> Json, string Sha256, string EntryName);
