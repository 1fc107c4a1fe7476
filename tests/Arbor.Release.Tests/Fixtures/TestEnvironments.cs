using Arbor.Release.Environments;
using Arbor.Release.Planning;
using Arbor.Release.Publishing;
using Arbor.Signatures.Bundles;

namespace Arbor.Release.Tests.Fixtures;

/// <summary>Environments (canary, production) under a folder, seeded from a <see cref="TestModelRepository"/>.</summary>
internal static class TestEnvironments
{
    public static ReleaseEnvironments Create(string path) => new(path);

    /// <summary>Publishes versions into every environment and writes the bundle a previous release would have left.</summary>
    public static void Seed(ReleaseEnvironments environments, TestModelRepository repository, string bundle, params (string Model, string Version)[] versions)
    {
        foreach (var env in environments.Environments)
        {
            foreach (var (model, version) in versions)
            {
                AtomicPublisher.PublishDirectory(Path.Combine(repository.Path, model, version), env.VersionDirectory(model, version));
            }

            var built = new BundleBuilder(TimeProvider.System).Build(new BundleBuildRequest(
                env.ModelsDirectory, bundle, Versions: [.. versions.Select(v => new ModelVersionRef(v.Model, v.Version))]));
            AtomicPublisher.WriteFile(env.BundlePath(bundle), BundleJson.ToUtf8Bytes(built.Document));
        }
    }

    public static BundleDocument ReadBundle(EnvironmentDirectory env, string bundle) => BundleJson.ReadFile(env.BundlePath(bundle));

    public static ReleaseStep StepOf(ReleasePlan plan, ReleaseStepKind kind, string? environment = null) =>
        plan.Steps.Single(s => s.Kind == kind && (environment is null || s.Environments[0] == environment));
}
