using System.Text.Json;
using Arbor.Contracts.V1;
using Arbor.Testing;

namespace Arbor.FunctionalTests.Observability;

/// <summary>The console logs of a real root and leaf, in JSON, written to the files their supervisor names.</summary>
[Collection(ObservedCluster.Collection)]
public sealed class LoggingTests(ObservedCluster cluster)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Logs_AreJsonLines_WithoutPerRequestLines_AndCarryTheRequestsTraceId()
    {
        for (var i = 0; i < 3; i++)
        {
            await cluster.ScoreAsync(cluster.Request($"quiet-{i}", 4));
        }

        // A version the leaf does not serve: the leaf logs the failure while serving the call.
        var requestId = $"log-{Guid.NewGuid():N}";
        var request = cluster.Request(requestId, 4);
        request.Surface = "";
        request.Models.Add(new ModelSelector { Name = cluster.Models[0], Version = "999" });
        var response = await cluster.ScoreAsync(request);
        Assert.Equal((int)Grpc.Core.StatusCode.NotFound, Assert.Single(response.Results).Status.Code);

        JsonElement failure = default;
        await Eventually.WaitUntilAsync(
            () =>
            {
                var found = JsonLines(cluster.Leaf.LogFile!).FirstOrDefault(e => e.GetProperty("EventId").GetInt32() == 5009 && e.GetProperty("Message").GetString()!.Contains("999", StringComparison.Ordinal));
                failure = found;
                return found.ValueKind == JsonValueKind.Object;
            },
            "the leaf's log line about the failed call",
            TimeSpan.FromSeconds(30),
            Ct);
        var traceId = failure.GetProperty("Scopes").EnumerateArray()
            .Where(s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty("TraceId", out _))
            .Select(s => s.GetProperty("TraceId").GetString())
            .First();

        // The same id as the request's trace at the root: one id follows the request through both logs and the trace.
        ReceivedSpan? score = null;
        await Eventually.WaitUntilAsync(
            () => (score = cluster.Otlp.Spans.FirstOrDefault(s => s.Name == "root.score" && s.Attributes.GetValueOrDefault("arbor.request_id") == requestId)) is not null,
            "the request's root span",
            TimeSpan.FromSeconds(30),
            Ct);
        Assert.Equal(score!.TraceId, traceId);

        foreach (var file in new[] { cluster.Root.LogFile!, cluster.Leaf.LogFile! })
        {
            var lines = ReadLines(file);
            Assert.NotEmpty(lines);

            // Every line is one JSON object but the command's own start-up line.
            Assert.All(lines.Where(l => !l.StartsWith("arbor ", StringComparison.Ordinal)), l => Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(l).RootElement.ValueKind));

            // Serving requests writes nothing at information level (ASP.NET Core's per-request lines are off).
            Assert.DoesNotContain(JsonLines(file), e => e.GetProperty("Category").GetString()!.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) && e.GetProperty("LogLevel").GetString() == "Information");
        }
    }

    private static List<string> ReadLines(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            lines.Add(line);
        }

        return lines;
    }

    private static List<JsonElement> JsonLines(string path) =>
        [.. ReadLines(path).Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement.Clone())];
}
