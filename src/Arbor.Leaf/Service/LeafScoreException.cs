namespace Arbor.Leaf.Service;

/// <summary>A Score call failed with a gRPC status and a message for the caller.</summary>
public sealed class LeafScoreException : Exception
{
    public LeafScoreException()
    {
    }

    public LeafScoreException(string message)
        : base(message)
    {
    }

    public LeafScoreException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public LeafScoreException(LeafStatusCode status, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Status = status;
    }

    public LeafStatusCode Status { get; } = LeafStatusCode.Internal;

    /// <summary>The model version the call reached (the caller's accounting labels its failure with it); null before one was chosen.</summary>
    public string? Version { get; set; }
}
