using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using System.Text.Json;
using Arbor.Contracts.V1;
using Arbor.Root.Admission;
using Arbor.Root.Tests.Cache;
using Arbor.Rpc.Client;
using Arbor.Testing;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Arbor.Root.Tests.Hosting;

/// <summary>
/// Admission control on a real root: a held leaf keeps requests in flight, so the tests fill the
/// slots and the queue with real requests and watch what the next ones get.
/// </summary>
public sealed class RootAdmissionTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Score_SlotsAndQueueFull_NextRequestRefusedWithResourceExhaustedAnd429_QueuedOnesServedAfterwards()
    {
        await using var cluster = await RootTestCluster.StartAsync(admission: """{ "max_in_flight": 2, "max_queued": 1 }""");
        using var rejected = new CounterRecorder(cluster.Services.GetRequiredService<IMeterFactory>(), AdmissionMetrics.MeterName, "arbor.root.admission.rejected");
        var admission = cluster.Services.GetRequiredService<AdmissionControl>();
        cluster.LeafA.Hold();

        var admitted = new List<Task<ScoreResponse>>
        {
            cluster.ScoreAsync(RootTestCluster.Request(user: "u1"), Patience),
            cluster.ScoreAsync(RootTestCluster.Request(user: "u9"), Patience),
        };
        await Eventually.WaitUntilAsync(() => admission.InFlight == 2 && cluster.LeafA.Requests.Count == 2, "two requests are in flight at the held leaf", Patience, Ct);
        admitted.Add(cluster.ScoreAsync(RootTestCluster.Request(user: "u1"), Patience));
        await Eventually.WaitUntilAsync(() => admission.Queued == 1, "the third request is queued", Patience, Ct);

        var error = await Assert.ThrowsAsync<RpcException>(() => cluster.ScoreAsync(RootTestCluster.Request(user: "u1"), Patience));
        var (status, body) = await PostJsonAsync(cluster, RootTestCluster.Request(user: "u1"));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("overloaded", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        using (var json = JsonDocument.Parse(body))
        {
            Assert.Equal((int)StatusCode.ResourceExhausted, json.RootElement.GetProperty("code").GetInt32());
        }

        Assert.Equal(2, rejected.Sum);
        Assert.Equal(2, cluster.LeafA.Requests.Count);
        Assert.Equal(2, cluster.LeafB.Requests.Count);

        cluster.LeafA.Release();
        foreach (var response in await Task.WhenAll(admitted))
        {
            Assert.All(response.Results, r => Assert.True(r.Status.Code == 0, r.Status.Message));
        }

        await Eventually.WaitUntilAsync(() => admission.InFlight == 0 && admission.Queued == 0, "every turn is given back", Patience, Ct);
        Assert.Equal(3, cluster.LeafA.Requests.Count);
        Assert.Equal(2, rejected.Sum);
    }

    [Fact]
    public async Task Score_WouldStartTooLateForItsDeadline_RefusedAtOnceWithoutLeafCalls_LongerDeadlineQueues()
    {
        await using var cluster = await RootTestCluster.StartAsync(admission: """{ "max_in_flight": 1, "max_queued": 8 }""");
        using var rejected = new CounterRecorder(cluster.Services.GetRequiredService<IMeterFactory>(), AdmissionMetrics.MeterName, "arbor.root.admission.rejected");
        var admission = cluster.Services.GetRequiredService<AdmissionControl>();
        cluster.LeafA.Hold();

        // A request whose leaf call runs into its deadline teaches the root how long requests take
        // now: about that deadline. (Over JSON the deadline is the root's alone: no client gives up
        // before the request has reached the root.)
        var (slowStatus, slowBody) = await PostJsonAsync(cluster, RootTestCluster.Request(user: "u1"), timeoutMs: 2000);
        Assert.True(slowStatus == HttpStatusCode.OK, $"{slowStatus}: {slowBody}");

        await Eventually.WaitUntilAsync(() => admission.InFlight == 0, "the slow request gave back its turn", Patience, Ct);
        var serviceTime = admission.ServiceTime;
        Assert.True(serviceTime > TimeSpan.Zero, "no service time was learnt");

        var holding = cluster.ScoreAsync(RootTestCluster.Request(user: "u9"), Patience);
        await Eventually.WaitUntilAsync(() => admission.InFlight == 1 && cluster.LeafA.Requests.Count == 2, "the second request holds the only slot", Patience, Ct);

        // Half the learnt time: it cannot finish in time behind the request holding the slot.
        var error = await Assert.ThrowsAsync<RpcException>(() => cluster.ScoreAsync(RootTestCluster.Request(user: "u1"), serviceTime / 2));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("deadline", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(1, rejected.Sum);
        Assert.Equal(2, cluster.LeafA.Requests.Count);

        // One with time to spare waits for its turn instead.
        var patient = cluster.ScoreAsync(RootTestCluster.Request(user: "u1"), Patience);
        await Eventually.WaitUntilAsync(() => admission.Queued == 1, "the patient request is queued", Patience, Ct);
        cluster.LeafA.Release();

        foreach (var response in await Task.WhenAll(holding, patient))
        {
            Assert.All(response.Results, r => Assert.True(r.Status.Code == 0, r.Status.Message));
        }

        Assert.Equal(1, rejected.Sum);
    }

    [Fact]
    public void AdmissionOptions_Unset_DerivedFromCores()
    {
        var derived = AdmissionOptions.From(new Arbor.Root.Configuration.AdmissionConfig(), processorCount: 3);
        var set = AdmissionOptions.From(new Arbor.Root.Configuration.AdmissionConfig { MaxInFlight = 5, MaxQueued = 0 }, processorCount: 3);

        Assert.Equal(AdmissionOptions.InFlightPerCore * 3, derived.MaxInFlight);
        Assert.Equal(AdmissionOptions.QueuedPerSlot * derived.MaxInFlight, derived.MaxQueued);
        Assert.Equal(new AdmissionOptions(5, 0), set);
    }

    private static async Task<(HttpStatusCode Status, string Body)> PostJsonAsync(RootTestCluster cluster, ScoreRequest request, int? timeoutMs = null)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, "/v1/score")
        {
            Content = new StringContent(Google.Protobuf.JsonFormatter.Default.Format(request), Encoding.UTF8, "application/json"),
        };
        if (timeoutMs is { } ms)
        {
            message.Headers.Add("x-arbor-timeout-ms", ms.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        using var answer = await cluster.Http.SendAsync(message, Ct);
        return (answer.StatusCode, await answer.Content.ReadAsStringAsync(Ct));
    }
}
