namespace Arbor.Cli.Demo;

/// <summary>Ready-to-paste requests against a running root: JSON over HTTP (curl) and gRPC (grpcurl with the proto files).</summary>
public static class ExampleRequests
{
    private const string Body = """{"surface": "home", "userId": "u1", "candidates": [{"id": "c1"}, {"id": "c2"}, {"id": "c3"}], "context": {"ctx_hour_of_day": {"floatValue": 21}, "ctx_device_type_id": {"stringValue": "ios"}}}""";

    public static string Format(Uri grpc, Uri http, string repositoryRoot) => $"""
        JSON over HTTP:
          curl -s {http}v1/score -H 'content-type: application/json' -d '{Body}'

        gRPC (arbor.v1.Root/Score, e.g. with grpcurl and the proto files):
          grpcurl -plaintext -import-path {Path.Combine(repositoryRoot, "proto")} -proto arbor/v1/root.proto -d '{Body}' {grpc.Authority} arbor.v1.Root/Score

        Explicit models instead of a surface: "models": [{"{"}"name": "related_mt"{"}"}]; surfaces: home, homefeed, related.
        Admin: curl -s {http}admin/stats | curl -s {http}admin/trimmer | curl -s {http}admin/config
        """;
}
