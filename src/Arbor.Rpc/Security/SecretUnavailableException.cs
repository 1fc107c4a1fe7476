namespace Arbor.Rpc.Security;

/// <summary>A secret's environment variable is not set or its file cannot be read; the message names where, never a value.</summary>
public sealed class SecretUnavailableException : Exception
{
    public SecretUnavailableException()
    {
    }

    public SecretUnavailableException(string message)
        : base(message)
    {
    }

    public SecretUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
