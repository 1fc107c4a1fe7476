using System.Collections.Frozen;
using Arbor.Contracts.V1;
using Arbor.Features.Selection;
using Arbor.Signatures.Signatures;

namespace Arbor.Leaf.Conversion;

/// <summary>
/// Turns columnar features into the forward arguments of one model version, as its signature says:
/// dense → float32 [B, features]; vector → float32 [B, dim]; id list → int64 values [N] and
/// offsets [B], each row truncated to max_length. Built once per model version; thread-safe.
/// </summary>
public sealed class FeatureConverter
{
    /// <summary>The most rows one request may carry.</summary>
    public const int MaxRowCount = 1 << 20;

    private readonly InputLayout[] _inputs;
    private readonly FrozenDictionary<string, FeatureSlot> _slots;

    public FeatureConverter(ModuleInfo signature)
    {
        ArgumentNullException.ThrowIfNull(signature);
        Signature = signature;
        var inputs = new InputLayout[signature.Inputs.Count];
        var slots = new Dictionary<string, FeatureSlot>(StringComparer.Ordinal);
        var argument = 0;
        for (var i = 0; i < inputs.Length; i++)
        {
            var input = signature.Inputs[i];
            var width = input.Kind switch
            {
                InputKind.Dense => input.Features.Count,
                InputKind.Vector => input.Dim ?? throw new ArgumentException($"vector input '{input.Name}' has no dim", nameof(signature)),
                _ => 0,
            };
            if (input.Kind != InputKind.Dense && input.Features.Count != 1)
            {
                throw new ArgumentException($"input '{input.Name}' must name exactly one feature", nameof(signature));
            }

            var maxLength = input.Kind == InputKind.IdList
                ? input.MaxLength ?? throw new ArgumentException($"id_list input '{input.Name}' has no max_length", nameof(signature))
                : 0;
            inputs[i] = new InputLayout(input.Name, input.Kind, argument, width, maxLength, (float)input.Default, input.Features);
            for (var column = 0; column < input.Features.Count; column++)
            {
                if (!slots.TryAdd(input.Features[column], new FeatureSlot(i, column, slots.Count)))
                {
                    throw new ArgumentException($"feature '{input.Features[column]}' is listed twice", nameof(signature));
                }
            }

            argument += input.Kind == InputKind.IdList ? 2 : 1;
        }

        _inputs = inputs;
        _slots = slots.ToFrozenDictionary(StringComparer.Ordinal);
        ArgumentCount = argument;
        FeatureSetSha256 = AllowlistHash.Of(_slots.Keys);
    }

    /// <summary>
    /// The <see cref="AllowlistHash"/> of the features the signature uses: equal to the hash a root
    /// sends when it trimmed to an allowlist of exactly these features.
    /// </summary>
    public string FeatureSetSha256 { get; }

    public ModuleInfo Signature { get; }

    /// <summary>Number of forward arguments.</summary>
    public int ArgumentCount { get; }

    /// <summary>Number of features the signature uses.</summary>
    public int FeatureCount => _slots.Count;

    /// <summary>Score columns per row.</summary>
    public int OutputCount => Signature.Outputs.Count;

    /// <summary>Converts the features of a leaf request.</summary>
    /// <exception cref="FeatureConversionException">A column does not fit the signature.</exception>
    public ConvertedBatch Convert(LeafScoreRequest request) => Convert(request, watch: null);

    /// <summary>Converts the features of a leaf request, telling <paramref name="watch"/> which features it carried.</summary>
    /// <exception cref="FeatureConversionException">A column does not fit the signature.</exception>
    public ConvertedBatch Convert(LeafScoreRequest request, AbsentFeatureWatch? watch)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Convert(checked((int)Math.Min(request.RowCount, int.MaxValue)), request.Columns, request.SharedColumns, watch);
    }

    /// <summary>Converts per-row columns and shared (one row, broadcast) columns for <paramref name="rowCount"/> rows.</summary>
    /// <exception cref="FeatureConversionException">A column does not fit the signature.</exception>
    public ConvertedBatch Convert(int rowCount, IReadOnlyList<FeatureColumn> columns, IReadOnlyList<FeatureColumn> sharedColumns) =>
        Convert(rowCount, columns, sharedColumns, watch: null);

    private ConvertedBatch Convert(int rowCount, IReadOnlyList<FeatureColumn> columns, IReadOnlyList<FeatureColumn> sharedColumns, AbsentFeatureWatch? watch)
    {
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(sharedColumns);
        if (rowCount is < 1 or > MaxRowCount)
        {
            throw new FeatureConversionException($"row_count {rowCount} is out of range (1 to {MaxRowCount})");
        }

        var builder = new BatchBuilder(_inputs, ArgumentCount, rowCount);
        try
        {
            var seen = _slots.Count <= 256 ? stackalloc bool[_slots.Count] : new bool[_slots.Count];
            seen.Clear();
            var unused = 0;
            for (var i = 0; i < columns.Count; i++)
            {
                unused += Apply(builder, columns[i], shared: false, seen) ? 0 : 1;
            }

            for (var i = 0; i < sharedColumns.Count; i++)
            {
                unused += Apply(builder, sharedColumns[i], shared: true, seen) ? 0 : 1;
            }

            var missing = 0;
            foreach (var (name, slot) in _slots)
            {
                if (!seen[slot.Feature])
                {
                    missing++;
                    builder.FillAbsent(_inputs[slot.Input], slot.Column);
                }
            }

            watch?.Observe(seen);
            return builder.Build(unused, missing);
        }
        catch
        {
            builder.Abandon();
            throw;
        }
    }

    /// <summary>The features the signature uses that <paramref name="request"/> does not carry, sorted by ordinal.</summary>
    public IReadOnlyList<string> AbsentFeatures(LeafScoreRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var present = new HashSet<string>(StringComparer.Ordinal);
        foreach (var column in request.Columns)
        {
            present.Add(column.Name);
        }

        foreach (var column in request.SharedColumns)
        {
            present.Add(column.Name);
        }

        var absent = _slots.Keys.Where(name => !present.Contains(name)).ToList();
        absent.Sort(StringComparer.Ordinal);
        return absent;
    }

    /// <summary>A batch where every feature is absent (all defaults): used to warm a model up.</summary>
    public ConvertedBatch CreateDefaults(int rowCount) => Convert(rowCount, [], []);

    /// <summary>Concatenates batches along the row dimension (dynamic batching).</summary>
    public ConvertedBatch Merge(IReadOnlyList<ConvertedBatch> batches)
    {
        ArgumentNullException.ThrowIfNull(batches);
        ArgumentOutOfRangeException.ThrowIfZero(batches.Count, nameof(batches));
        var rows = 0;
        var unused = 0;
        var missing = 0;
        foreach (var batch in batches)
        {
            rows += batch.RowCount;
            unused += batch.UnusedFeatures;
            missing += batch.MissingFeatures;
        }

        var builder = new BatchBuilder(_inputs, ArgumentCount, rows);
        try
        {
            foreach (var input in _inputs)
            {
                if (input.Kind == InputKind.IdList)
                {
                    builder.MergeIdList(input, batches);
                }
                else
                {
                    builder.MergeMatrix(input, batches);
                }
            }

            return builder.Build(unused, missing);
        }
        catch
        {
            builder.Abandon();
            throw;
        }
    }

    // Returns false when the signature does not use the column (waste on the wire).
    private bool Apply(BatchBuilder builder, FeatureColumn column, bool shared, Span<bool> seen)
    {
        if (!_slots.TryGetValue(column.Name, out var slot))
        {
            return false;
        }

        if (seen[slot.Feature])
        {
            throw new FeatureConversionException(column.Name, "appears more than once in the request");
        }

        seen[slot.Feature] = true;
        var input = _inputs[slot.Input];
        var rows = shared ? 1 : builder.RowCount;
        var missing = column.Missing.Span;
        if (missing.Length != 0 && missing.Length < (rows + 7) / 8)
        {
            throw new FeatureConversionException(column.Name, $"missing bitmap has {missing.Length} bytes, {rows} rows need {(rows + 7) / 8}");
        }

        // missing_omitted: the values hold only the rows not marked missing (no placeholders).
        var omitted = column.MissingOmitted && missing.Length != 0;
        if (column.ValuesCase == FeatureColumn.ValuesOneofCase.None || CountValues(column) == 0)
        {
            if (!AllMissing(missing, rows))
            {
                throw new FeatureConversionException(column.Name, $"has no values ({Describe(input)} needs {ExpectedColumn(input)})");
            }

            builder.FillAbsent(input, slot.Column);
            return true;
        }

        switch (input.Kind)
        {
            case InputKind.Dense:
                builder.FillDense(input, slot.Column, column, shared, missing, omitted);
                break;
            case InputKind.Vector:
                builder.FillVector(input, column, shared, missing, omitted);
                break;
            default:
                builder.FillIdList(input, column, shared, missing, omitted);
                break;
        }

        return true;
    }

    private static int CountValues(FeatureColumn column) => column.ValuesCase switch
    {
        FeatureColumn.ValuesOneofCase.Floats => column.Floats.Values.Count,
        FeatureColumn.ValuesOneofCase.Int64S => column.Int64S.Values.Count,
        FeatureColumn.ValuesOneofCase.FloatVectors => column.FloatVectors.Values.Count,
        FeatureColumn.ValuesOneofCase.Int64Lists => column.Int64Lists.Lengths.Count,
        FeatureColumn.ValuesOneofCase.Strings => column.Strings.Values.Count,
        FeatureColumn.ValuesOneofCase.BytesValues => column.BytesValues.Values.Count,
        _ => 0,
    };

    internal static bool IsMissing(ReadOnlySpan<byte> missing, int row) =>
        missing.Length != 0 && (missing[row >> 3] & (1 << (row & 7))) != 0;

    private static bool AllMissing(ReadOnlySpan<byte> missing, int rows)
    {
        for (var r = 0; r < rows; r++)
        {
            if (!IsMissing(missing, r))
            {
                return false;
            }
        }

        return true;
    }

    internal static string Describe(InputLayout input) => input.Kind switch
    {
        InputKind.Dense => $"dense input '{input.Name}'",
        InputKind.Vector => $"vector input '{input.Name}' (dim {input.Width})",
        _ => $"id_list input '{input.Name}'",
    };

    internal static string ExpectedColumn(InputLayout input) => input.Kind switch
    {
        InputKind.Dense => "a floats or int64s column",
        InputKind.Vector => "a float_vectors column",
        _ => "an int64_lists column",
    };

    internal static string ColumnKind(FeatureColumn column) => column.ValuesCase switch
    {
        FeatureColumn.ValuesOneofCase.Floats => "floats",
        FeatureColumn.ValuesOneofCase.Int64S => "int64s",
        FeatureColumn.ValuesOneofCase.FloatVectors => "float_vectors",
        FeatureColumn.ValuesOneofCase.Int64Lists => "int64_lists",
        FeatureColumn.ValuesOneofCase.Strings => "strings",
        FeatureColumn.ValuesOneofCase.BytesValues => "bytes_values",
        _ => "no values",
    };
}
