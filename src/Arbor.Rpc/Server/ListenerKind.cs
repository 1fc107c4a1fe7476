namespace Arbor.Rpc.Server;

/// <summary>The listeners of an Arbor server; each serves only the endpoints marked for it.</summary>
public enum ListenerKind
{
    /// <summary>The public gRPC port: gRPC methods only (the service, health, reflection).</summary>
    Grpc,

    /// <summary>The public HTTP port: the JSON form of the public API.</summary>
    Http,

    /// <summary>The operators' port (loopback by default): health, admin, metrics.</summary>
    Admin,
}
