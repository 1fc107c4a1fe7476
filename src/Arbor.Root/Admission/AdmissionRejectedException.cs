namespace Arbor.Root.Admission;

/// <summary>Admission control refused a request before any work was done for it (RESOURCE_EXHAUSTED).</summary>
public sealed class AdmissionRejectedException : Exception
{
    public AdmissionRejectedException()
    {
    }

    public AdmissionRejectedException(string message)
        : base(message)
    {
    }

    public AdmissionRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public AdmissionRejectedException(AdmissionRejection reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    public AdmissionRejection Reason { get; }
}
