namespace Arbor.Rpc.Tls;

/// <summary>Why a peer's certificate was refused: a short reason (a metric tag) and the chain's status.</summary>
internal sealed record TlsRefusal(string Reason, string Detail);
