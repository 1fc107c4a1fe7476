namespace Arbor.Leaf.Inference;

/// <summary>The partition's inference queue is full: the request is shed before any work (RESOURCE_EXHAUSTED).</summary>
public sealed class LeafOverloadedException : Exception
{
    public LeafOverloadedException()
        : base("the leaf is overloaded")
    {
    }

    public LeafOverloadedException(string message)
        : base(message)
    {
    }

    public LeafOverloadedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
