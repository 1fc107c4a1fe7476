namespace Arbor.FunctionalTests.Release;

/// <summary>What the traffic saw: every request, and per phase/environment/model/version how many model results came back trimmed or not.</summary>
internal sealed class TrafficReport
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Phase, string Env, string Model, string Version, bool Trimmed), int> _results = [];
    private readonly Dictionary<(string Phase, string Env, string Model, string Version), int> _failedResults = [];
    private readonly List<string> _failures = [];

    public int Requests { get; private set; }

    public IReadOnlyList<string> Failures
    {
        get
        {
            lock (_gate)
            {
                return [.. _failures];
            }
        }
    }

    public void Record(string phase, string env, string model, string version, bool trimmed)
    {
        lock (_gate)
        {
            _results[(phase, env, model, version, trimmed)] = _results.GetValueOrDefault((phase, env, model, version, trimmed)) + 1;
        }
    }

    /// <summary>A model result that came back with an error status inside an answered request (also listed by <see cref="Fail"/>).</summary>
    public void RecordFailedResult(string phase, string env, string model, string version, string what)
    {
        lock (_gate)
        {
            _failedResults[(phase, env, model, version)] = _failedResults.GetValueOrDefault((phase, env, model, version)) + 1;
        }

        Fail(what);
    }

    /// <summary>Failed model results matching every given part (null: any).</summary>
    public int CountFailed(string? phase = null, string? env = null, string? model = null, string? version = null)
    {
        lock (_gate)
        {
            return _failedResults.Where(r => (phase is null || r.Key.Phase == phase) && (env is null || r.Key.Env == env) && (model is null || r.Key.Model == model)
                && (version is null || r.Key.Version == version)).Sum(r => r.Value);
        }
    }

    public void Request()
    {
        lock (_gate)
        {
            Requests++;
        }
    }

    public void Fail(string what)
    {
        lock (_gate)
        {
            if (_failures.Count < 50)
            {
                _failures.Add(what);
            }
        }
    }

    /// <summary>Model results matching every given part (null: any).</summary>
    public int Count(string? phase = null, string? env = null, string? model = null, string? version = null, bool? trimmed = null)
    {
        lock (_gate)
        {
            return _results.Where(r => (phase is null || r.Key.Phase == phase) && (env is null || r.Key.Env == env) && (model is null || r.Key.Model == model)
                && (version is null || r.Key.Version == version) && (trimmed is null || r.Key.Trimmed == trimmed)).Sum(r => r.Value);
        }
    }

    public override string ToString()
    {
        lock (_gate)
        {
            return $"{Requests} requests, {_failures.Count} failures; " + string.Join("; ", _results.OrderBy(r => r.Key.ToString(), StringComparer.Ordinal)
                .Select(r => $"{r.Key.Phase}/{r.Key.Env}/{r.Key.Model}:{r.Key.Version} {(r.Key.Trimmed ? "trimmed" : "UNTRIMMED")}={r.Value}"));
        }
    }
}
