using Arbor.Root.Store;
using ProtoFeatureValue = Arbor.Contracts.V1.FeatureValue;

namespace Arbor.Root.Preprocessing;

/// <summary>
/// The feature values a client sent with one request, validated and preprocessed in one place, once:
/// per candidate (any feature; it wins over the stored value of that candidate) and request-level
/// (the plan's context features). A value of the wrong type throws <see cref="FeatureValueException"/>
/// naming the candidate or the context (the root answers INVALID_ARGUMENT); so does a NaN or
/// infinity in a float or float vector, whatever the feature: a client can never hand a model a non-finite input.
/// </summary>
public sealed class ClientFeatures
{
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
    /// <param name="preprocessor">The registry's pipelines.</param>
    /// <param name="candidates">Per candidate the features it carries (null or empty: none).</param>
    /// <param name="context">The request-level features sent.</param>
    public static ClientFeatures Validate(
        FetchPlan plan,
        FeaturePreprocessor preprocessor,
        IReadOnlyList<IReadOnlyDictionary<string, ProtoFeatureValue>?>? candidates,
        IReadOnlyDictionary<string, ProtoFeatureValue>? context)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(preprocessor);
        List<ClientColumn>? columns = null;
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
                    columns ??= [];
                    var column = columns.Find(c => string.Equals(c.Name, name, StringComparison.Ordinal));
                    if (column is null)
                    {
                        column = new ClientColumn(name, candidates.Count);
                        columns.Add(column);
                    }

                    column.Set(row, Preprocess(preprocessor, name, value, row));
                }
            }
        }

        ClientColumn?[]? request = null;
        if (context is { Count: > 0 })
        {
            for (var i = 0; i < plan.ContextColumns.Count; i++)
            {
                var name = plan.ContextColumns[i].Name;
                if (context.TryGetValue(name, out var value))
                {
                    request ??= new ClientColumn?[plan.ContextColumns.Count];
                    request[i] = new ClientColumn(name, 1);
                    request[i]!.Set(0, Preprocess(preprocessor, name, value, row: -1));
                }
            }
        }

        return columns is null && request is null ? None : new ClientFeatures(columns ?? [], request ?? []);
    }

    /// <param name="row">The candidate the value came with; -1 for the request context.</param>
    private static TypedValue Preprocess(FeaturePreprocessor preprocessor, string name, ProtoFeatureValue client, int row)
    {
        var value = TypedValue.FromProto(client);
        if (!IsFinite(value))
        {
            throw new FeatureValueException($"{Where(row)}: feature '{name}' is not a finite number (NaN and infinities are refused)");
        }

        if (!preprocessor.TryGetPipeline(name, out var pipeline))
        {
            return value;
        }

        try
        {
            return pipeline.Apply(pipeline.ValidateInput(value));
        }
        catch (FeatureValueException e)
        {
            throw new FeatureValueException($"{Where(row)}: {e.Message}", e);
        }
    }

    private static string Where(int row) =>
        row < 0 ? "context" : "candidate " + row.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Whether a float or float vector the client sent holds only finite numbers (other kinds always do).</summary>
    private static bool IsFinite(TypedValue value)
    {
        switch (value.Kind)
        {
            case TypedValueKind.Float:
                return float.IsFinite(value.AsFloat());
            case TypedValueKind.FloatVector:
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
}
