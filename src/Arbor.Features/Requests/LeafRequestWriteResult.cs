namespace Arbor.Features.Requests;

/// <summary>What a leaf request carried and what trimming left out.</summary>
/// <param name="MessageBytes">The size of the serialized <c>LeafScoreRequest</c>.</param>
/// <param name="ColumnsWritten">Columns (per-row and shared) written.</param>
/// <param name="ColumnsRemoved">Columns of the batch left out by the allowlist.</param>
/// <param name="BytesRemoved">Bytes of the columns left out.</param>
/// <param name="AllowlistedAbsent">Allowlisted features the batch did not have (the leaf uses defaults).</param>
/// <param name="ValueBytes">Raw bytes of the values the written columns carry (what the message would be with no encoding overhead).</param>
public readonly record struct LeafRequestWriteResult(
    int MessageBytes,
    int ColumnsWritten,
    int ColumnsRemoved,
    long BytesRemoved,
    int AllowlistedAbsent,
    long ValueBytes = 0);
