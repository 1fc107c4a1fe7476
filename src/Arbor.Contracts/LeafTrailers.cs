namespace Arbor.Contracts;

/// <summary>Trailers of <c>arbor.v1.Leaf</c> calls beyond the standard gRPC ones.</summary>
public static class LeafTrailers
{
    /// <summary>On a failed Score call: the model version the call reached, so that the caller counts the failure against it.</summary>
    public const string ModelVersion = "arbor-model-version";
}
