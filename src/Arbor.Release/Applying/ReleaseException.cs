namespace Arbor.Release.Applying;

/// <summary>A release operation that cannot start (no such release, wrong order, drifted environment).</summary>
public sealed class ReleaseException : Exception
{
    public ReleaseException()
    {
    }

    public ReleaseException(string message)
        : base(message)
    {
    }

    public ReleaseException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
