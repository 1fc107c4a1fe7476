using System.Text.Json.Serialization;
using Arbor.Release.Environments;
using Arbor.Signatures.Bundles;

namespace Arbor.Release.Planning;

/// <summary>A bundle file a step writes into an environment.</summary>
/// <param name="Environment">The environment.</param>
/// <param name="Bundle">The bundle name (file <c>root/bundles/&lt;bundle&gt;.json</c>).</param>
/// <param name="Document">The content.</param>
public sealed record BundleWrite(string Environment, string Bundle, BundleDocument Document)
{
    private byte[]? _content;

    /// <summary>The canonical bytes written.</summary>
    [JsonIgnore]
    public byte[] Content => _content ??= BundleJson.ToUtf8Bytes(Document);

    /// <summary>SHA-256 of <see cref="Content"/>: what a root that loaded the file reports.</summary>
    [JsonIgnore]
    public string Sha256 => EnvironmentDirectory.Sha256(Content);
}
