namespace Arbor.Cli.Demo;

/// <summary>Ready-to-paste requests against a running root: JSON over HTTP (curl) and gRPC (grpcurl, through server reflection).</summary>
public static class ExampleRequests
{
    private const string Body = """{"surface": "home", "userId": "u1", "candidates": [{"id": "c1"}, {"id": "c2"}, {"id": "c3"}], "context": {"ctx_hour_of_day": {"floatValue": 21}, "ctx_device_type_id": {"stringValue": "ios"}}}""";

    public static string Format(Uri grpc, Uri http, Uri admin) => $"""
        JSON over HTTP:
          curl -s {http}v1/score -H 'content-type: application/json' -d '{Body}'

        gRPC (arbor.v1.Root/Score; the root serves reflection, so grpcurl needs no .proto files):
          grpcurl -plaintext -d '{Body}' {grpc.Authority} arbor.v1.Root/Score
          grpcurl -plaintext {grpc.Authority} describe arbor.v1.Root
          grpcurl -plaintext {grpc.Authority} grpc.health.v1.Health/Check

        Explicit models instead of a surface: "models": [{"{"}"name": "related_mt"{"}"}]; surfaces: home, homefeed, related.
        Admin (loopback only): curl -s {admin}admin/stats | curl -s {admin}admin/trimmer | curl -s {admin}admin/config | curl -s {admin}readyz
        """;
}
