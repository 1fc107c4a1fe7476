using System.Text.Json;
using Arbor.Root.Tests.Hosting;
using Arbor.Testing;

namespace Arbor.Root.Tests.Security;

/// <summary>
/// Hostile and malformed input from an outside client (python3-grpcio, urllib and raw HTTP/2 frames:
/// security_suite.py) against a root with API keys: each case gets its status, the client is never
/// told an address, a path or a stack frame, and the next good request still succeeds.
/// </summary>
public sealed class SecuritySuiteTests
{
    private const string Key = "suite-key-4f1c9a0e7b2d";

    /// <summary>What each case must get: a gRPC status name, an HTTP status, or what the connection did.</summary>
    private static readonly Dictionary<string, string[]> Expected = new(StringComparer.Ordinal)
    {
        ["no API key"] = ["UNAUTHENTICATED"],
        ["wrong API key"] = ["UNAUTHENTICATED"],
        ["API key as x-api-key"] = ["OK"],
        ["NaN feature value"] = ["INVALID_ARGUMENT"],
        ["infinite feature value"] = ["INVALID_ARGUMENT"],
        ["int64 for a float feature"] = ["INVALID_ARGUMENT"],
        ["FeatureValue with no kind"] = ["INVALID_ARGUMENT"],
        ["feature name not in the registry"] = ["OK"],
        ["duplicate candidate ids"] = ["OK"],
        ["one model named 100 times"] = ["OK"],
        ["40 distinct models"] = ["INVALID_ARGUMENT"],
        ["4 MiB request_id"] = ["INVALID_ARGUMENT"],
        ["more candidates than the limit"] = ["INVALID_ARGUMENT"],
        ["17 MiB message"] = ["RESOURCE_EXHAUSTED"],
        ["1 MiB unknown surface name"] = ["NOT_FOUND"],
        ["unknown method"] = ["UNIMPLEMENTED"],
        ["deadline of 1e8 seconds"] = ["OK"],
        ["JSON: no API key"] = ["401"],
        ["JSON: good request"] = ["200"],
        ["JSON: malformed body"] = ["400"],
        ["JSON: NaN value"] = ["400"],
        ["JSON: body declared at 20 MiB"] = ["413"],
        ["JSON: admin path on the public port"] = ["404"],
        // A connection that breaks the protocol is closed, with a GOAWAY naming the error where HTTP/2 has one.
        ["HTTP/2: garbage instead of the preface"] = ["closed", "GOAWAY 1"],
        ["HTTP/2: HEADERS on stream 0"] = ["GOAWAY 1"],
        ["HTTP/2: frame larger than SETTINGS_MAX_FRAME_SIZE"] = ["GOAWAY 6"],
        ["HTTP/2: WINDOW_UPDATE of 0 on the connection"] = ["GOAWAY 1"],
        ["HTTP/2: undecodable HPACK block"] = ["GOAWAY 9", "GOAWAY 1"],
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 300_000)]
    public async Task EveryHostileInput_GetsItsStatus_LeaksNothing_AndTheNextGoodRequestSucceeds()
    {
        await using var cluster = await RootTestCluster.StartAsync(editConfig: config => config.Replace(
            "\"schema\": \"arbor.root/v1\",", $"\"schema\": \"arbor.root/v1\", \"auth\": {{ \"keys\": [ {{ \"name\": \"suite\", \"token\": \"{Key}\" }} ] }},", StringComparison.Ordinal));
        var script = Path.Combine(AppContext.BaseDirectory, "Security", "security_suite.py");

        var output = await PythonInterop.RunAsync([script, cluster.GrpcEndpoint.ToString(), cluster.HttpEndpoint.ToString(), PythonInterop.MessagesDirectory, Key], TimeSpan.FromMinutes(4), Ct);
        using var document = JsonDocument.Parse(output.Trim());
        var cases = document.RootElement.GetProperty("cases").EnumerateArray().ToList();

        var table = string.Join("\n", cases.Select(c => $"{c.GetProperty("case").GetString()} -> {c.GetProperty("got").GetString()} (next good request ok: {c.GetProperty("next_ok").GetBoolean()}) {c.GetProperty("message").GetString()}"));
        TestContext.Current.TestOutputHelper?.WriteLine(table);
        Assert.Equal(Expected.Keys.Order(StringComparer.Ordinal), cases.Select(c => c.GetProperty("case").GetString()!).Order(StringComparer.Ordinal));
        foreach (var c in cases)
        {
            var name = c.GetProperty("case").GetString()!;
            Assert.True(Expected[name].Contains(c.GetProperty("got").GetString()), $"{name}: got {c.GetProperty("got").GetString()}, expected {string.Join(" or ", Expected[name])}\n{table}");
            Assert.True(c.GetProperty("next_ok").GetBoolean(), $"{name}: the next good request failed\n{table}");
            Assert.True(c.GetProperty("leaks").GetArrayLength() == 0, $"{name}: the client was told {c.GetProperty("leaks")}\n{table}");
        }
    }
}
