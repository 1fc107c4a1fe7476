using System.Text.Json;
using Arbor.Contracts.V1;

namespace Arbor.Cli.Bench;

/// <summary>
/// Generates score requests from the sample data set: a random user, a random context and
/// candidates drawn without repetition from the data set's candidates, for the scenario's surface or,
/// when given, for explicitly named models (each request then names the same models). Seeded, so a
/// run is reproducible.
/// </summary>
public sealed class ScoreWorkload
{
    private static readonly string[] Devices = ["ios", "android", "web", "tablet"];
    private static readonly string[] Networks = ["wifi", "4g", "5g", "3g"];
    private static readonly string[] AppVersions = ["12.1.0", "12.2.0", "12.3.1"];

    private readonly string[] _users;
    private readonly string[] _candidates;
    private readonly BenchScenario _scenario;
    private readonly ModelSelector[] _models;
    private readonly Random _random;
    private long _sequence;

    public ScoreWorkload(IReadOnlyList<string> users, IReadOnlyList<string> candidates, BenchScenario scenario, int seed, IReadOnlyList<ModelSelector>? models = null)
    {
        if (users.Count == 0 || candidates.Count < scenario.CandidatesPerRequest)
        {
            throw new ArgumentException($"the data set has {users.Count} users and {candidates.Count} candidates; scenario '{scenario.Name}' needs users and {scenario.CandidatesPerRequest} candidates");
        }

        _users = [.. users];
        _candidates = [.. candidates];
        _scenario = scenario;
        _models = [.. models ?? []];
        _random = new Random(seed);
    }

    /// <summary>The models every request names; empty when requests are routed by their surface.</summary>
    public IReadOnlyList<ModelSelector> Models => _models;

    /// <summary>Reads the user and candidate ids of a <c>features.jsonl</c> file.</summary>
    public static ScoreWorkload FromFeatureFile(string path, BenchScenario scenario, int seed, IReadOnlyList<ModelSelector>? models = null)
    {
        var (users, candidates) = ReadIds(path);
        return new ScoreWorkload(users, candidates, scenario, seed, models);
    }

    /// <summary>The user and the candidate ids of a <c>features.jsonl</c> file, in file order.</summary>
    public static (List<string> Users, List<string> Candidates) ReadIds(string path)
    {
        var users = new List<string>();
        var candidates = new List<string>();
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            using var json = JsonDocument.Parse(line);
            var id = json.RootElement.GetProperty("id").GetString()!;
            (json.RootElement.GetProperty("entity").GetString() == "user" ? users : candidates).Add(id);
        }

        return (users, candidates);
    }

    /// <summary>The next request (not thread-safe: one generator per driver).</summary>
    public ScoreRequest Next()
    {
        var sequence = ++_sequence;
        var request = new ScoreRequest
        {
            Surface = _scenario.Surface,
            UserId = _users[_random.Next(_users.Length)],
            RequestId = $"bench-{sequence}",
        };
        foreach (var model in _models)
        {
            request.Models.Add(model.Clone());
        }

        // Partial Fisher-Yates: the first N slots become a uniform sample without repetition.
        for (var i = 0; i < _scenario.CandidatesPerRequest; i++)
        {
            var j = _random.Next(i, _candidates.Length);
            (_candidates[i], _candidates[j]) = (_candidates[j], _candidates[i]);
            request.Candidates.Add(new Candidate { Id = _candidates[i] });
        }

        var hour = _random.Next(24);
        var day = _random.Next(7);
        request.Context.Add("ctx_hour_of_day", new FeatureValue { FloatValue = hour });
        request.Context.Add("ctx_day_of_week", new FeatureValue { FloatValue = day });
        request.Context.Add("ctx_is_weekend", new FeatureValue { FloatValue = day >= 5 ? 1 : 0 });
        request.Context.Add("ctx_session_depth", new FeatureValue { FloatValue = _random.Next(50) });
        request.Context.Add("ctx_time_since_last_request_s", new FeatureValue { FloatValue = _random.Next(3600) });
        request.Context.Add("ctx_request_position", new FeatureValue { FloatValue = _random.Next(10) });
        request.Context.Add("ctx_device_type_id", new FeatureValue { StringValue = Devices[_random.Next(Devices.Length)] });
        request.Context.Add("ctx_network_type_id", new FeatureValue { StringValue = Networks[_random.Next(Networks.Length)] });
        request.Context.Add("ctx_app_version", new FeatureValue { StringValue = AppVersions[_random.Next(AppVersions.Length)] });
        request.Context.Add("ctx_hour_bucket", new FeatureValue { FloatValue = hour });
        return request;
    }
}
