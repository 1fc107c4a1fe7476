using System.Diagnostics;

namespace Arbor.Root.Diagnostics;

/// <summary>
/// The root's spans (activity source <c>Arbor.Root</c>): <c>root.score</c> per request, with
/// <c>root.fetch</c>, <c>root.preprocess</c>, <c>root.trim_encode</c> and one <c>root.leaf_call</c>
/// per model and attempt beneath it. A leaf call's context travels to the leaf as the W3C
/// <c>traceparent</c> header of the gRPC call. Nothing is recorded unless a tracer listens.
/// </summary>
public static class RootTracing
{
    public const string SourceName = "Arbor.Root";

    public static ActivitySource Source { get; } = new(SourceName);

    /// <summary>Tags <paramref name="activity"/> with its gRPC status name; anything but OK marks it failed.</summary>
    public static void End(Activity? activity, string status)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetTag("rpc.grpc.status", status);
        if (status != "OK")
        {
            activity.SetStatus(ActivityStatusCode.Error, status);
        }
    }
}
