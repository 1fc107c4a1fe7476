using System.CommandLine;
using System.Text.Json;
using Arbor.Cli.Cluster;
using Arbor.Client;
using Arbor.Contracts.V1;
using Arbor.Features.Values;
using Arbor.Rpc.Accounting;
using Arbor.Rpc.Client;
using Arbor.Signatures.Registry;
using Grpc.Core;

namespace Arbor.Cli.Bench;

/// <summary>
/// <c>arbor bench client-features</c>: client → root bytes with and without client → root trimming.
/// Each request's candidates carry what a retrieval stage has at hand, their float and embedding
/// features from the data set, as client-supplied values. One root (trimmed) and the sample leaves
/// run as processes; every request goes once as is and once through <see cref="ArborRootClient"/>
/// (alternating which goes first), each over its own connection whose socket bytes are counted,
/// and the two responses' scores are compared bit for bit.
/// </summary>
public static class ClientFeaturesBench
{
    public static Command Create()
    {
        var scenario = new Option<string>("--scenario") { Description = $"Workload: {string.Join(", ", BenchScenario.All.Select(s => s.Name))}.", DefaultValueFactory = _ => BenchScenario.Reference.Name };
        var surface = new Option<string?>("--surface") { Description = "The surface requests name (default: the scenario's; the sample routing has home, homefeed and related)." };
        var requests = new Option<int>("--requests") { Description = "Measured requests (each sent both ways).", DefaultValueFactory = _ => 100 };
        var workDir = new Option<string>("--work-dir") { Description = "Where configs, bundles and the feature store are written.", DefaultValueFactory = _ => Path.Combine(".arbor", "bench-client") };
        var seed = new Option<int>("--seed") { Description = "Workload seed.", DefaultValueFactory = _ => 7 };
        var command = new Command("client-features", "Client → root bytes per candidate with and without client → root trimming (Arbor.Client), with score parity.")
        {
            scenario, surface, requests, workDir, seed,
        };
        command.SetAction(async (ParseResult result, CancellationToken cancellationToken) =>
        {
            if (result.GetValue(requests) < 1)
            {
                await Console.Error.WriteLineAsync("arbor bench client-features: --requests must be >= 1");
                return 2;
            }

            try
            {
                var chosen = BenchScenario.Get(result.GetValue(scenario)!);
                chosen = result.GetValue(surface) is { Length: > 0 } name ? chosen with { Surface = name } : chosen;
                var report = await RunAsync(chosen, result.GetValue(requests), Path.GetFullPath(result.GetValue(workDir)!), result.GetValue(seed), BenchProgress.Console(), cancellationToken);
                Console.WriteLine();
                Console.Write(report);
                return report.Mismatches == 0 && report.Failures == 0 ? 0 : 1;
            }
            catch (ArgumentException e)
            {
                await Console.Error.WriteLineAsync($"arbor bench client-features: {e.Message}");
                return 2;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await Console.Error.WriteLineAsync("arbor bench client-features: interrupted; processes stopped");
                return 130;
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException or RpcException)
            {
                await Console.Error.WriteLineAsync($"arbor bench client-features: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    public static async Task<ClientFeaturesReport> RunAsync(BenchScenario scenario, int requests, string workDirectory, int seed, BenchProgress progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(progress);
        var artefacts = await SampleArtefacts.EnsureAsync(RepositoryLocator.Find(), workDirectory, progress.Step, cancellationToken);
        var features = ClientValues.Read(Path.Combine(artefacts.Repository, "features.jsonl"), FeatureRegistryJson.ReadFile(artefacts.Registry));
        await using var cluster = await ServingCluster.StartAsync(
            artefacts, [BenchMode.Trimmed], LeafLayout.Shared, ClusterPlacement.Loopback, workDirectory, progress.Step, cancellationToken);
        var root = cluster.RootOf(BenchMode.Trimmed);
        var fullCounters = new ByteCounters("bench-client-full");
        var trimmedCounters = new ByteCounters("bench-client-trimmed");
        using var fullChannel = new RpcChannel(root.GrpcAddress, new RpcChannelOptions { ByteCounters = fullCounters });
        using var trimmedChannel = new RpcChannel(root.GrpcAddress, new RpcChannelOptions { ByteCounters = trimmedCounters });
        var full = new Contracts.V1.Root.RootClient(fullChannel.Invoker);
        var trimmed = new ArborRootClient(trimmedChannel.Invoker);
        var workload = ScoreWorkload.FromFeatureFile(Path.Combine(artefacts.Repository, "features.jsonl"), scenario, seed);

        progress.Step("warming up: 10 requests each way");
        for (var i = 0; i < 10; i++)
        {
            var request = features.Attach(workload.Next());
            await full.ScoreAsync(request, Deadline(cancellationToken));
            await trimmed.ScoreAsync(request, Deadline(cancellationToken));
        }

        progress.Step($"measuring {requests} requests of {scenario.CandidatesPerRequest} candidates, each sent as is and trimmed by the client");
        var fullBefore = fullCounters.Snapshot();
        var trimmedBefore = trimmedCounters.Snapshot();
        var report = new ClientFeaturesReport { Scenario = scenario.Name, Surface = scenario.Surface, Requests = requests, CandidatesPerRequest = scenario.CandidatesPerRequest };
        for (var i = 0; i < requests; i++)
        {
            var request = features.Attach(workload.Next());
            report.FullMessageBytes += request.CalculateSize();
            ScoreResponse asIs, cut;
            if (i % 2 == 0)
            {
                asIs = await full.ScoreAsync(request, Deadline(cancellationToken));
                cut = await trimmed.ScoreAsync(request, Deadline(cancellationToken));
            }
            else
            {
                cut = await trimmed.ScoreAsync(request, Deadline(cancellationToken));
                asIs = await full.ScoreAsync(request, Deadline(cancellationToken));
            }

            report.Compare(asIs, cut);
            progress.Tick("measure", i + 1, requests);
        }

        progress.EndTicks();
        report.FullWireBytes = (fullCounters.Snapshot() - fullBefore).BytesSent;
        report.TrimmedWireBytes = (trimmedCounters.Snapshot() - trimmedBefore).BytesSent;
        report.ViewFetches = trimmed.ViewFetches;
        report.Resent = trimmed.Resent;
        report.ClientFeaturesPerCandidate = features.AveragePerCandidate;
        var view = await new Contracts.V1.Root.RootClient(trimmedChannel.Invoker).GetClientFeaturesAsync(new ClientFeaturesRequest { Surface = scenario.Surface }, Deadline(cancellationToken));
        report.ViewCandidateFeatures = view.CandidateFeatures.Count;
        report.ViewContextFeatures = view.ContextFeatures.Count;
        return report;
    }

    private static CallOptions Deadline(CancellationToken cancellationToken) => new(deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellationToken);

    /// <summary>The float and embedding values of every candidate in the data set, as a retrieval stage would have them.</summary>
    private sealed class ClientValues(Dictionary<string, (string Name, FeatureValue Value)[]> byCandidate)
    {
        public double AveragePerCandidate => byCandidate.Count == 0 ? 0 : byCandidate.Values.Average(v => v.Length);

        public static ClientValues Read(string featuresJsonl, FeatureRegistry registry)
        {
            var types = registry.Features
                .Where(f => f.Entity == FeatureEntity.Candidate && f.Type is FeatureType.Float or FeatureType.FloatVector)
                .ToDictionary(f => f.Name, f => f.Type, StringComparer.Ordinal);
            var byCandidate = new Dictionary<string, (string, FeatureValue)[]>(StringComparer.Ordinal);
            foreach (var line in File.ReadLines(featuresJsonl))
            {
                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }

                using var json = JsonDocument.Parse(line);
                if (json.RootElement.GetProperty("entity").GetString() != "candidate")
                {
                    continue;
                }

                var values = new List<(string, FeatureValue)>();
                foreach (var feature in json.RootElement.GetProperty("features").EnumerateObject())
                {
                    if (!types.TryGetValue(feature.Name, out var type))
                    {
                        continue;
                    }

                    if (type == FeatureType.Float && feature.Value.ValueKind == JsonValueKind.Number)
                    {
                        values.Add((feature.Name, new FeatureValue { FloatValue = feature.Value.GetSingle() }));
                    }
                    else if (type == FeatureType.FloatVector && feature.Value.ValueKind == JsonValueKind.Array)
                    {
                        var vector = new FloatVector();
                        vector.Values.Add(feature.Value.EnumerateArray().Select(e => e.GetSingle()));
                        values.Add((feature.Name, new FeatureValue { FloatVector = vector }));
                    }
                }

                byCandidate[json.RootElement.GetProperty("id").GetString()!] = [.. values];
            }

            return new ClientValues(byCandidate);
        }

        public ScoreRequest Attach(ScoreRequest request)
        {
            foreach (var candidate in request.Candidates)
            {
                if (byCandidate.TryGetValue(candidate.Id, out var values))
                {
                    foreach (var (name, value) in values)
                    {
                        candidate.Features[name] = value;
                    }
                }
            }

            return request;
        }
    }
}
