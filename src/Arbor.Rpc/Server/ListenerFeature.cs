namespace Arbor.Rpc.Server;

/// <summary>The listener a connection came in on, set on the connection by <see cref="ListenerIsolation.ServeOnly"/>.</summary>
public sealed class ListenerFeature(ListenerKind kind)
{
    public ListenerKind Kind { get; } = kind;
}
