using System.Globalization;
using System.Text.RegularExpressions;
using Arbor.Leaf.Conversion;
using Arbor.Leaf.Models;
using Arbor.Leaf.Native;
using Arbor.Signatures.Checking;
using Arbor.Signatures.Registry;
using Arbor.Signatures.Signatures;
using Arbor.Signatures.Validation;

namespace Arbor.Leaf.Checking;

/// <summary>
/// Checks a model version the way a leaf would serve it: loads it with the leaf's loader, builds
/// batches of 1 and 17 rows from its signature (and the feature registry's types and id ranges)
/// with the leaf's feature converter, runs forward, and checks that the scores are a float32
/// [B, outputs] of finite numbers. When forward fails, it looks for the one input that, changed
/// alone, lets forward run (a dense or vector width, an id list's ids), so the problem names the
/// input. The registry cross-check is <see cref="FeatureRegistryCheck"/>'s.
/// </summary>
public sealed partial class ModelChecker(string device = "cpu") : IModelVersionCheck
{
    /// <summary>The batch sizes every version is run with.</summary>
    public static readonly IReadOnlyList<int> BatchSizes = [1, 17];

    /// <summary>The widest dense or vector input width tried when looking for the one forward wants.</summary>
    private const int MaxProbedWidth = 4096;

    public IReadOnlyList<ModelCheckProblem> Check(string model, string version, string archivePath, FeatureRegistry? registry)
    {
        ArgumentException.ThrowIfNullOrEmpty(model);
        ArgumentException.ThrowIfNullOrEmpty(version);
        ArgumentException.ThrowIfNullOrEmpty(archivePath);
        var problems = new List<ModelCheckProblem>();
        TorchModel torch;
        ModuleInfo signature;
        try
        {
            (torch, signature) = ModelVersionLoader.Open(archivePath, model, version, device);
        }
        catch (Exception e) when (e is TorchException or InvalidDataException or ArtefactException)
        {
            problems.Add(new ModelCheckProblem(model, version, ModelCheckProblemKind.Unloadable, e.Message));
            return problems;
        }

        using (torch)
        {
            if (registry is not null)
            {
                foreach (var finding in FeatureRegistryCheck.Check(registry, [signature]))
                {
                    problems.Add(new ModelCheckProblem(model, version, KindOf(finding.Kind), finding.Message, finding.Input, finding.Feature));
                }
            }

            var converter = new FeatureConverter(signature);
            foreach (var rows in BatchSizes)
            {
                if (!Run(torch, signature, converter, registry, rows, problems))
                {
                    break;
                }
            }
        }

        return problems;
    }

    private static ModelCheckProblemKind KindOf(RegistryFindingKind kind) => kind switch
    {
        RegistryFindingKind.MissingFeature => ModelCheckProblemKind.MissingFeature,
        RegistryFindingKind.TypeMismatch => ModelCheckProblemKind.TypeMismatch,
        _ => ModelCheckProblemKind.DimMismatch,
    };

    // One forward with `rows` rows; false when it failed (a larger batch would only repeat the problem).
    private static bool Run(TorchModel torch, ModuleInfo signature, FeatureConverter converter, FeatureRegistry? registry, int rows, List<ModelCheckProblem> problems)
    {
        var model = signature.Model;
        var version = signature.Version;
        using var batch = converter.Convert(rows, CheckColumns.Build(signature, registry, rows), []);
        var arguments = batch.Arguments.ToArray();
        var outputs = signature.Outputs.Count;
        var scores = new float[rows * Math.Max(16, outputs * 4)];
        int gotRows;
        int gotCols;
        try
        {
            (gotRows, gotCols) = torch.Forward(arguments, scores);
        }
        catch (TorchException e)
        {
            var message = Strip(e.Message, torch.Path);
            if (e.Status == TorchStatus.BadOutput)
            {
                problems.Add(new ModelCheckProblem(model, version, ModelCheckProblemKind.OutputType, $"{message} (batch of {rows})"));
            }
            else if (e.Status == TorchStatus.InvalidArgument && message.StartsWith("output buffer holds", StringComparison.Ordinal))
            {
                problems.Add(new ModelCheckProblem(model, version, ModelCheckProblemKind.OutputCount,
                    $"forward returns more score values than a batch of {rows} with {outputs} outputs ({OutputNames(signature)}) has: {message}"));
            }
            else
            {
                problems.Add(Diagnose(torch, signature, registry, arguments, rows, Brief(message)));
            }

            return false;
        }

        var ok = true;
        if (gotRows != rows)
        {
            problems.Add(new ModelCheckProblem(model, version, ModelCheckProblemKind.OutputRows,
                $"forward returns {Count(gotRows, "row")} of scores for a batch of {rows}"));
            ok = false;
        }

        if (gotCols != outputs)
        {
            problems.Add(new ModelCheckProblem(model, version, ModelCheckProblemKind.OutputCount,
                $"forward returns {Count(gotCols, "score column")}, the signature lists {Count(outputs, "output")} ({OutputNames(signature)}) (batch of {rows})"));
            ok = false;
        }

        if (ok && HasNonFinite(scores.AsSpan(0, rows * outputs)))
        {
            problems.Add(new ModelCheckProblem(model, version, ModelCheckProblemKind.NonFiniteScores,
                $"forward returns NaN or infinite scores for a batch of {rows} built from the signature"));
            ok = false;
        }

        return ok;
    }

    private static bool HasNonFinite(ReadOnlySpan<float> scores)
    {
        foreach (var score in scores)
        {
            if (!float.IsFinite(score))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// forward failed: finds the inputs that, changed alone, let forward run: a dense or vector input
    /// given another width, or an id list emptied (its ids, from the registry's range, are what
    /// fails). The widths libtorch's message mentions are tried first; only when none of those
    /// helps is every width up to a bound tried. One such input is the culprit; none or several
    /// leave the failure as it is, with libtorch's message.
    /// </summary>
    private static ModelCheckProblem Diagnose(TorchModel torch, ModuleInfo signature, FeatureRegistry? registry, TensorInput[] arguments, int rows, string message)
    {
        var hinted = Numbers().Matches(message)
            .Select(m => int.TryParse(m.ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0)
            .Where(n => n is > 0 and <= MaxProbedWidth)
            .Distinct()
            .ToList();
        var fixes = Probe(torch, signature, arguments, rows, width => hinted.Where(w => w != width), idLists: true);
        if (fixes.Count == 0)
        {
            fixes = Probe(torch, signature, arguments, rows, width => Enumerable.Range(1, Math.Min(MaxProbedWidth, Math.Max(512, 2 * width))).Where(w => w != width), idLists: false);
        }

        var model = signature.Model;
        var version = signature.Version;
        if (fixes.Count == 1)
        {
            var (input, width, accepted) = fixes[0];
            if (input.Kind == InputKind.IdList)
            {
                var feature = input.Features[0];
                var range = FeatureIdRange.Of(registry?.Features.FirstOrDefault(f => f.Name == feature));
                return new ModelCheckProblem(model, version, ModelCheckProblemKind.IdRange,
                    $"forward fails on ids {range} of id_list input '{input.Name}' (the registry's range for {feature}; it runs without them): {message}",
                    input.Name, feature);
            }

            var what = input.Kind == InputKind.Dense
                ? $"the signature gives it {width} features ({string.Join(", ", input.Features)})"
                : $"the signature gives it dim {width} (feature {input.Features[0]})";
            return new ModelCheckProblem(model, version, ModelCheckProblemKind.InputWidth,
                $"forward takes {accepted} columns for {input.Kind.ToString().ToLowerInvariant()} input '{input.Name}', {what}",
                input.Name, input.Kind == InputKind.Vector ? input.Features[0] : null);
        }

        var suspects = fixes.Count > 1
            ? $" (it would run with any one of inputs {string.Join(", ", fixes.Select(f => f.Input.Kind == InputKind.IdList ? $"'{f.Input.Name}' without ids" : $"'{f.Input.Name}' {f.Accepted} wide instead of {f.Width}"))} changed)"
            : string.Empty;
        return new ModelCheckProblem(model, version, ModelCheckProblemKind.ForwardFailed,
            $"forward fails on a batch of {rows} built from the signature{suspects}: {message}");
    }

    // Each input that, changed alone, lets forward run: (input, its width, the width that runs; 0 for an emptied id list).
    private static List<(ModelInput Input, int Width, int Accepted)> Probe(
        TorchModel torch, ModuleInfo signature, TensorInput[] arguments, int rows, Func<int, IEnumerable<int>> widths, bool idLists)
    {
        var fixes = new List<(ModelInput Input, int Width, int Accepted)>();
        var argument = 0;
        foreach (var input in signature.Inputs)
        {
            if (input.Kind == InputKind.IdList)
            {
                if (idLists && Accepts(torch, WithoutIds(arguments, argument, rows), rows))
                {
                    fixes.Add((input, 0, 0));
                }

                argument += 2;
                continue;
            }

            var width = (int)arguments[argument].Dim1;
            var at = argument;
            if (widths(width).FirstOrDefault(w => Accepts(torch, WithWidth(arguments, at, rows, w), rows)) is var accepted and > 0)
            {
                fixes.Add((input, width, accepted));
            }

            argument++;
        }

        return fixes;
    }

    private static TensorInput[] WithWidth(TensorInput[] arguments, int argument, int rows, int width)
    {
        var probe = (TensorInput[])arguments.Clone();
        probe[argument] = TensorInput.Float32(new float[rows * width], rows, width);
        return probe;
    }

    // Every row's list empty: values [0], offsets all 0.
    private static TensorInput[] WithoutIds(TensorInput[] arguments, int argument, int rows)
    {
        var probe = (TensorInput[])arguments.Clone();
        probe[argument] = TensorInput.Int64(Array.Empty<long>(), 0);
        probe[argument + 1] = TensorInput.Int64(new long[rows], rows);
        return probe;
    }

    private static bool Accepts(TorchModel torch, TensorInput[] probe, int rows)
    {
        try
        {
            torch.Forward(probe, new float[rows * 4096]);
            return true;
        }
        catch (TorchException e)
        {
            // The arguments were accepted; only the scores are wrong, which the full check reports.
            return e.Status is TorchStatus.BadOutput or TorchStatus.InvalidArgument;
        }
    }

    // libtorch's message for a failure inside forward carries the TorchScript traceback (with the
    // paths of the files the model was written from); its last line says what failed.
    private static string Brief(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? message : lines[^1];
    }

    private static string Count(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";

    private static string OutputNames(ModuleInfo signature) => string.Join(", ", signature.Outputs.Select(o => o.Name));

    // TorchModel prefixes its errors with "forward of <path>: ", which says nothing the report does not.
    private static string Strip(string message, string path)
    {
        var prefix = $"forward of {path}: ";
        return message.StartsWith(prefix, StringComparison.Ordinal) ? message[prefix.Length..] : message;
    }

    [GeneratedRegex("[0-9]+")]
    private static partial Regex Numbers();
}
