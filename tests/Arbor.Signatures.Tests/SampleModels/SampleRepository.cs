using Arbor.Testing;

namespace Arbor.Signatures.Tests.SampleModels;

/// <summary>The generated sample model repository (models/repo, and models/repo.bad for broken artefacts).</summary>
internal static class SampleRepository
{
    public static string Path => SampleModelRepository.Root;

    public static string BadPath => SampleModelRepository.Root + ".bad";
}
