namespace Arbor.Release.Verification;

/// <summary>What a live leaf serves (from <c>arbor.v1.Leaf/ListModels</c>).</summary>
public sealed record LeafView(Uri Leaf, string Partition, IReadOnlyList<LeafModelView> Models)
{
    public LeafModelView? Model(string name) => Models.FirstOrDefault(m => m.Model == name);
}

/// <summary>One model a leaf serves.</summary>
/// <param name="Model">The model.</param>
/// <param name="DefaultVersion">The version answering requests that name none; empty when none serves.</param>
/// <param name="Versions">Every version the leaf tracks.</param>
public sealed record LeafModelView(string Model, string DefaultVersion, IReadOnlyList<LeafVersionView> Versions)
{
    public IEnumerable<LeafVersionView> Available => Versions.Where(v => v.IsAvailable);
}

/// <summary>One version at a leaf.</summary>
/// <param name="Version">The version.</param>
/// <param name="State">loading, available, unloading, failed, unloaded.</param>
/// <param name="SignatureSha256">The hash of the signature it was loaded with.</param>
/// <param name="Error">Why it failed to load.</param>
public sealed record LeafVersionView(string Version, string State, string SignatureSha256, string? Error)
{
    public bool IsAvailable => State == "available";
}
