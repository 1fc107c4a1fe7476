using Arbor.Features.Values;
using Arbor.Root.Diagnostics;
using Arbor.Root.Scoring;
using Arbor.Signatures.Registry;
using ProtoFeatureValue = Arbor.Contracts.V1.FeatureValue;

namespace Arbor.Root.Preprocessing;

/// <summary>
/// The feature values a client sent with one request, validated and preprocessed in one place, once:
/// per candidate (any feature; it wins over the stored value of that candidate) and request-level
/// (the plan's context features). A value the root cannot use as sent (a NaN or an infinity, a value
/// of another kind than the feature's raw type, a value with no kind, a name the registry does not
/// define) is refused or replaced as the registry's input policy says (<see cref="InputPolicy"/>,
/// compiled into each <see cref="FeaturePipeline"/>): a refusal throws <see cref="FeatureValueException"/>
/// naming the candidate or the context and the feature (the root answers INVALID_ARGUMENT), so a
/// client can never hand a model a non-finite or mistyped input. Every outcome is counted
/// (<c>arbor.root.client_values</c>).
/// </summary>
public sealed class ClientFeatures
{
    /// <summary>How much of a client's unknown feature name an error quotes back (the default of <c>limits.max_echo_chars</c>).</summary>
    private const int MaxEchoChars = 64;

    private ClientFeatures(List<ClientColumn> candidateColumns, ClientColumn?[] context)
    {
        CandidateColumns = candidateColumns;
        Context = context;
    }

    /// <summary>No client values at all.</summary>
    public static ClientFeatures None { get; } = new([], []);

    /// <summary>Per feature sent with any candidate, in order of first appearance: the preprocessed value per row.</summary>
    public IReadOnlyList<ClientColumn> CandidateColumns { get; }

    /// <summary>Per context feature of the plan (same order; empty when the client sent none), the one preprocessed value sent, or null.</summary>
    public IReadOnlyList<ClientColumn?> Context { get; }

    /// <summary>The client's column for <paramref name="feature"/>, or null.</summary>
    public ClientColumn? CandidateColumn(string feature)
    {
        foreach (var column in CandidateColumns)
        {
            if (string.Equals(column.Name, feature, StringComparison.Ordinal))
            {
                return column;
            }
        }

        return null;
    }

    /// <summary>Validates and preprocesses what the client sent.</summary>
    /// <param name="plan">The request's plan (its context features; pipelines of other features come from <paramref name="preprocessor"/>).</param>
    /// <param name="preprocessor">The registry's pipelines and input policy.</param>
    /// <param name="candidates">Per candidate the features it carries (null or empty: none).</param>
    /// <param name="context">The request-level features sent.</param>
    /// <param name="metrics">Where the outcomes are counted (values of a refused request: only the refused one).</param>
    /// <param name="entries">Per candidate, the index of the client's entry it stands for, which errors name; null: its own.</param>
    public static ClientFeatures Validate(
        FetchPlan plan,
        FeaturePreprocessor preprocessor,
        IReadOnlyList<IReadOnlyDictionary<string, ProtoFeatureValue>?>? candidates,
        IReadOnlyDictionary<string, ProtoFeatureValue>? context,
        RootMetrics? metrics = null,
        IReadOnlyList<int>? entries = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(preprocessor);
        List<ClientColumn>? columns = null;
        var dropped = 0;
        if (candidates is not null)
        {
            for (var row = 0; row < candidates.Count; row++)
            {
                if (candidates[row] is not { Count: > 0 } sent)
                {
                    continue;
                }

                foreach (var (name, value) in sent)
                {
                    if (!preprocessor.TryGetPipeline(name, out var pipeline))
                    {
                        Unknown(preprocessor, name, entries?[row] ?? row, metrics);
                        dropped++;
                        continue;
                    }

                    columns ??= [];
                    var column = Find(columns, name);
                    if (column is null)
                    {
                        column = new ClientColumn(name, candidates.Count);
                        columns.Add(column);
                    }

                    column.Set(row, Preprocess(pipeline, value, entries?[row] ?? row, column, metrics));
                }
            }
        }

        ClientColumn?[]? request = null;
        if (context is { Count: > 0 })
        {
            foreach (var (name, value) in context)
            {
                if (!preprocessor.TryGetPipeline(name, out var pipeline))
                {
                    Unknown(preprocessor, name, row: -1, metrics);
                    dropped++;
                    continue;
                }

                // A registered feature the request's models do not take from the context is not read.
                var i = IndexOf(plan.ContextColumns, name);
                if (i >= 0)
                {
                    request ??= new ClientColumn?[plan.ContextColumns.Count];
                    var column = request[i] = new ClientColumn(name, 1);
                    column.Set(0, Preprocess(pipeline, value, row: -1, column, metrics));
                }
            }
        }

        if (metrics is not null)
        {
            Record(metrics, columns, request, dropped);
        }

        return columns is null && request is null ? None : new ClientFeatures(columns ?? [], request ?? []);
    }

    /// <param name="row">The client's index of the candidate the value came with (what errors name); -1 for the request context.</param>
    private static TypedValue Preprocess(FeaturePipeline pipeline, ProtoFeatureValue client, int row, ClientColumn column, RootMetrics? metrics)
    {
        var policy = pipeline.Policy;
        var value = TypedValue.FromProto(client);
        if (!value.HasValue)
        {
            return policy.NoKind == ClientValueAction.Default
                ? column.Defaulted(pipeline, ClientValueOutcome.DefaultedNoKind)
                : throw Rejected(pipeline, ClientValueOutcome.RejectedNoKind, row, metrics, "has no value: the FeatureValue sets none of its kinds");
        }

        if (value.Kind != pipeline.InputKind)
        {
            return policy.OutOfType == ClientValueAction.Default
                ? column.Defaulted(pipeline, ClientValueOutcome.DefaultedOutOfType)
                : throw Rejected(pipeline, ClientValueOutcome.RejectedOutOfType, row, metrics, $"takes type {KindName(pipeline.InputKind)}, not {KindName(value.Kind)}");
        }

        if (value.Kind == FeatureType.FloatVector && pipeline.Definition.Dim is { } dim && value.AsFloatVector().Length != dim)
        {
            return policy.OutOfType == ClientValueAction.Default
                ? column.Defaulted(pipeline, ClientValueOutcome.DefaultedOutOfType)
                : throw Rejected(pipeline, ClientValueOutcome.RejectedOutOfType, row, metrics, $"is a float vector of {dim} values, not {value.AsFloatVector().Length}");
        }

        if (!IsFinite(value))
        {
            return policy.NonFinite == ClientValueAction.Default
                ? column.Defaulted(pipeline, ClientValueOutcome.DefaultedNonFinite)
                : throw Rejected(pipeline, ClientValueOutcome.RejectedNonFinite, row, metrics, "is not a finite number (NaN and infinities are refused)");
        }

        try
        {
            value = pipeline.Apply(value);
        }
        catch (FeatureValueException e)
        {
            throw new FeatureValueException($"{Where(row)}: {e.Message}", e);
        }

        column.Count(ClientValueOutcome.Accepted);
        return value;
    }

    /// <summary>A name the registry does not define: dropped (the caller counts it), or the request refused.</summary>
    private static void Unknown(FeaturePreprocessor preprocessor, string name, int row, RootMetrics? metrics)
    {
        if (preprocessor.InputPolicy.UnknownFeature == UnknownFeatureAction.Reject)
        {
            metrics?.RecordClientValues(RootMetrics.UnknownFeature, ClientValueOutcome.RejectedUnknown, 1);
            throw new FeatureValueException($"{Where(row)}: feature {ClientEcho.Quote(name, MaxEchoChars)} is not in the feature registry");
        }
    }

    private static FeatureValueException Rejected(FeaturePipeline pipeline, ClientValueOutcome outcome, int row, RootMetrics? metrics, string why)
    {
        metrics?.RecordClientValues(pipeline.Name, outcome, 1);
        return new FeatureValueException($"{Where(row)}: feature '{pipeline.Name}' {why}");
    }

    private static void Record(RootMetrics metrics, List<ClientColumn>? columns, ClientColumn?[]? context, int dropped)
    {
        if (columns is not null)
        {
            foreach (var column in columns)
            {
                column.RecordTo(metrics);
            }
        }

        if (context is not null)
        {
            foreach (var column in context)
            {
                column?.RecordTo(metrics);
            }
        }

        if (dropped > 0)
        {
            metrics.RecordClientValues(RootMetrics.UnknownFeature, ClientValueOutcome.DroppedUnknown, dropped);
        }
    }

    private static ClientColumn? Find(List<ClientColumn> columns, string name)
    {
        foreach (var column in columns)
        {
            if (string.Equals(column.Name, name, StringComparison.Ordinal))
            {
                return column;
            }
        }

        return null;
    }

    private static int IndexOf(IReadOnlyList<PlannedColumn> columns, string name)
    {
        for (var i = 0; i < columns.Count; i++)
        {
            if (string.Equals(columns[i].Name, name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    private static string Where(int row) =>
        row < 0 ? "context" : "candidate " + row.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The registry's name of a value kind (<c>float_vector</c>...).</summary>
    private static string KindName(FeatureType kind) => FeatureRegistryJson.TypeName(kind);

    /// <summary>Whether a float or float vector the client sent holds only finite numbers (other kinds always do).</summary>
    private static bool IsFinite(TypedValue value)
    {
        switch (value.Kind)
        {
            case FeatureType.Float:
                return float.IsFinite(value.AsFloat());
            case FeatureType.FloatVector:
                foreach (var x in value.AsFloatVector())
                {
                    if (!float.IsFinite(x))
                    {
                        return false;
                    }
                }

                return true;
            default:
                return true;
        }
    }
}

/// <summary>One feature the client sent with some rows: per row whether it was sent and its preprocessed value.</summary>
public sealed class ClientColumn
{
    private readonly TypedValue[] _values;
    private readonly bool[] _sent;
    private readonly int[] _outcomes = new int[OutcomeCount];

    public ClientColumn(string name, int rows)
    {
        Name = name;
        _values = new TypedValue[rows];
        _sent = new bool[rows];
    }

    public string Name { get; }

    public int RowCount => _values.Length;

    /// <summary>Whether the client sent a value (possibly an empty one) for <paramref name="row"/>.</summary>
    public bool IsSent(int row) => _sent[row];

    /// <summary>The preprocessed value sent for <paramref name="row"/> (meaningful where <see cref="IsSent"/>).</summary>
    public TypedValue this[int row] => _values[row];

    internal void Set(int row, TypedValue value)
    {
        _values[row] = value;
        _sent[row] = true;
    }

    internal void Count(ClientValueOutcome outcome) => _outcomes[(int)outcome]++;

    /// <summary>Counts a value replaced by the feature's registry default, and returns that default.</summary>
    internal TypedValue Defaulted(FeaturePipeline pipeline, ClientValueOutcome outcome)
    {
        Count(outcome);
        return pipeline.Missing;
    }

    /// <summary>Adds this column's outcomes to the counters: once per outcome, not once per value.</summary>
    internal void RecordTo(RootMetrics metrics)
    {
        for (var outcome = 0; outcome < _outcomes.Length; outcome++)
        {
            if (_outcomes[outcome] > 0)
            {
                metrics.RecordClientValues(Name, (ClientValueOutcome)outcome, _outcomes[outcome]);
            }
        }
    }

    private const int OutcomeCount = (int)ClientValueOutcome.DroppedUnknown + 1;
}
