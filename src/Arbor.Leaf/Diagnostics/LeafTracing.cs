using System.Diagnostics;

namespace Arbor.Leaf.Diagnostics;

/// <summary>
/// The leaf's spans (activity source <c>Arbor.Leaf</c>): <c>leaf.score</c> per Score call (a child of
/// the gRPC server span, itself a child of the root's <c>root.leaf_call</c> through the W3C
/// <c>traceparent</c> header), with <c>leaf.convert</c>, <c>leaf.queue</c> and <c>leaf.forward</c>
/// beneath it; <c>leaf.decode</c> (parsing the request, which grpc-dotnet does before the service
/// method runs) is its sibling under the server span. A forward that merges several requests has one <c>leaf.forward</c> span in each of
/// their traces. Nothing is recorded unless a tracer listens.
/// </summary>
public static class LeafTracing
{
    public const string SourceName = "Arbor.Leaf";

    public static ActivitySource Source { get; } = new(SourceName);
}
