namespace Arbor.Leaf.Models;

/// <summary>Loads and warms up one model version; throws with a clear message when it cannot.</summary>
public interface IModelVersionLoader
{
    Task<LoadedModel> LoadAsync(RepositoryVersion version, CancellationToken cancellationToken);
}
