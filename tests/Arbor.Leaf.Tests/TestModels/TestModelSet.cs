using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Arbor.Testing;

[assembly: AssemblyFixture(typeof(Arbor.Leaf.Tests.TestModels.TestModelSet))]

namespace Arbor.Leaf.Tests.TestModels;

/// <summary>
/// Small TorchScript models made once per test run by make_models.py (Python + torch), following
/// Arbor's forward convention, with scores Python computed for a few inputs.
/// </summary>
public sealed class TestModelSet : IDisposable
{
    public const string Python = "/usr/bin/python3";

    private readonly TempDirectory _directory = new("arbor-leaf-models-");

    public TestModelSet()
    {
        var jobs = new JsonArray
        {
            Job("ctr", "1", CtrSignature("ctr", "1"), seed: 1, cases: ScoringCases.All),
            Job("ctr", "2", CtrSignature("ctr", "2"), seed: 2, cases: ScoringCases.All),
            Job("ctr", "3", CtrSignature("ctr", "3"), seed: 3, cases: ScoringCases.All),
            Job("dense", "1", DenseSignature("dense", "1"), seed: 4),
            Job("wrong_outputs", "1", DenseSignature("wrong_outputs", "1"), seed: 5, outputs: 3),
            Job("raw_ids", "1", CtrSignature("raw_ids", "1"), seed: 6, wrapIds: false),
        };
        Run(jobs);
    }

    public string Root => _directory.Path;

    /// <summary>The archive of a generated model version.</summary>
    public string Archive(string model, string version) => _directory.Combine(model, version, "model.pt");

    /// <summary>Python's scores for <see cref="ScoringCases.All"/>[caseIndex], row-major.</summary>
    public float[] Expected(string model, string version, int caseIndex)
    {
        var json = JsonNode.Parse(File.ReadAllText(Archive(model, version) + ".expected.json"))!.AsArray();
        return json[caseIndex]!.AsArray().Select(v => (float)v!.GetValue<double>()).ToArray();
    }

    /// <summary>Copies a generated version into a repository folder (as <c>&lt;repo&gt;/&lt;model&gt;/&lt;asVersion&gt;/model.pt</c>).</summary>
    public string CopyTo(string repository, string model, string version, string? asModel = null, string? asVersion = null)
    {
        var target = Path.Combine(repository, asModel ?? model, asVersion ?? version);
        Directory.CreateDirectory(target);
        var path = Path.Combine(target, "model.pt");
        File.Copy(Archive(model, version), path, overwrite: true);
        return path;
    }

    /// <summary>dense(a, b; default 0.5) + vector v (dim 4) + id list ids (max_length 3) → p_click, p_save.</summary>
    public static JsonObject CtrSignature(string model, string version) => new()
    {
        ["schema"] = "arbor.module_info/v1",
        ["model"] = model,
        ["version"] = version,
        ["inputs"] = new JsonArray
        {
            new JsonObject { ["name"] = "dense", ["kind"] = "dense", ["dtype"] = "float32", ["features"] = new JsonArray("a", "b"), ["default"] = 0.5 },
            new JsonObject { ["name"] = "emb", ["kind"] = "vector", ["dtype"] = "float32", ["dim"] = 4, ["features"] = new JsonArray("v") },
            new JsonObject { ["name"] = "ids", ["kind"] = "id_list", ["dtype"] = "int64", ["max_length"] = 3, ["features"] = new JsonArray("ids") },
        },
        ["outputs"] = new JsonArray(new JsonObject { ["name"] = "p_click" }, new JsonObject { ["name"] = "p_save" }),
    };

    /// <summary>dense(x, y) → score.</summary>
    public static JsonObject DenseSignature(string model, string version) => new()
    {
        ["schema"] = "arbor.module_info/v1",
        ["model"] = model,
        ["version"] = version,
        ["inputs"] = new JsonArray
        {
            new JsonObject { ["name"] = "dense", ["kind"] = "dense", ["dtype"] = "float32", ["features"] = new JsonArray("x", "y") },
        },
        ["outputs"] = new JsonArray(new JsonObject { ["name"] = "score" }),
    };

    public void Dispose() => _directory.Dispose();

    private JsonObject Job(string model, string version, JsonObject signature, int seed, int? outputs = null, bool wrapIds = true, IReadOnlyList<ScoringCase>? cases = null)
    {
        var job = new JsonObject
        {
            ["path"] = Archive(model, version),
            ["module_info"] = signature,
            ["seed"] = seed,
            ["wrap_ids"] = wrapIds,
        };
        if (outputs is { } count)
        {
            job["outputs"] = count;
        }

        if (cases is not null)
        {
            job["cases"] = new JsonArray(cases.Select(c => (JsonNode)c.ToJson()).ToArray());
        }

        return job;
    }

    private static void Run(JsonArray jobs)
    {
        var script = RepositoryPaths.Combine("tests", "Arbor.Leaf.Tests", "TestModels", "make_models.py");
        var start = new ProcessStartInfo(Python, [script])
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {Python}");
        process.StandardInput.Write(jobs.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
        process.StandardInput.Close();
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill();
            throw new TimeoutException("make_models.py did not finish in 3 minutes");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"make_models.py failed ({process.ExitCode}): {stderr.Result}{stdout.Result}");
        }
    }
}
