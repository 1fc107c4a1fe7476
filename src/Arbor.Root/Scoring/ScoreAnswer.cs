using System.Buffers;
using Arbor.Contracts.V1;
using Arbor.Rpc.Marshalling;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Google.Protobuf.Reflection;

namespace Arbor.Root.Scoring;

/// <summary>
/// The answer to a score request, written as an <c>arbor.v1.ScoreResponse</c> without building one:
/// each model's scores stay in the leaf's answer (<see cref="ScoreTable"/>), and the writer puts the
/// exact bytes the generated message would write straight into the send buffer, with no object per
/// candidate or per score. <see cref="ToResponse"/> builds the generated message for the JSON endpoint.
/// </summary>
public sealed class ScoreAnswer : IRpcPayload
{
    private readonly ModelAnswer[] _models;

    // Measured for one write (the runtime sizes its buffer, then writes once): per model its table's
    // id field sizes (one array per candidate list, shared by the models answering the same request)
    // and its size. The arrays are rented and go back once the answer is written; a later size or
    // write measures again.
    private int[][]? _idFieldSizes;
    private int[]? _modelSizes;
    private int _length = -1;

    /// <param name="requestId">The request's id, echoed.</param>
    /// <param name="models">One answer per model, in response order (kept, not copied).</param>
    public ScoreAnswer(string requestId, ModelAnswer[] models)
    {
        ArgumentNullException.ThrowIfNull(requestId);
        ArgumentNullException.ThrowIfNull(models);
        RequestId = requestId;
        _models = models;
    }

    public string RequestId { get; }

    public IReadOnlyList<ModelAnswer> Models => _models;

    /// <summary>The size of the serialized <c>ScoreResponse</c>.</summary>
    public int CalculateSize()
    {
        if (_length < 0)
        {
            Measure();
        }

        return _length;
    }

    int IRpcPayload.Length => CalculateSize();

    /// <summary>Writes the serialized <c>ScoreResponse</c> (exactly <see cref="CalculateSize"/> bytes) into <paramref name="destination"/>.</summary>
    public void WriteTo(IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        CalculateSize();
        try
        {
            new Encoding(this).WriteTo(destination);
        }
        finally
        {
            ReturnMeasure();
        }
    }

    /// <summary>The generated <c>ScoreResponse</c> with the same content (the JSON endpoint; tests).</summary>
    public ScoreResponse ToResponse()
    {
        var response = new ScoreResponse { RequestId = RequestId };
        response.Results.Capacity = _models.Length;
        foreach (var model in _models)
        {
            response.Results.Add(model.ToResult());
        }

        return response;
    }

    private void Measure()
    {
        var idFieldSizes = ArrayPool<int[]>.Shared.Rent(_models.Length);
        var modelSizes = ArrayPool<int>.Shared.Rent(_models.Length);
        var length = RequestId.Length != 0 ? 1 + CodedOutputStream.ComputeStringSize(RequestId) : 0;
        ScoreQuery? measured = null;
        int[] ids = [];
        for (var i = 0; i < _models.Length; i++)
        {
            var model = _models[i];
            if (model.Scores is { } table && !ReferenceEquals(table.Candidates, measured))
            {
                ids = ArrayPool<int>.Shared.Rent(table.Count);
                table.MeasureIds(ids.AsSpan(0, table.Count));
                measured = table.Candidates;
            }

            idFieldSizes[i] = model.Scores is null ? [] : ids;
            modelSizes[i] = model.Measure(IdFieldSizes(idFieldSizes, i));
            length += 1 + CodedOutputStream.ComputeLengthSize(modelSizes[i]) + modelSizes[i];
        }

        (_idFieldSizes, _modelSizes, _length) = (idFieldSizes, modelSizes, length);
    }

    /// <summary>Model <paramref name="model"/>'s id field sizes: as many as its table has entries (the array is rented, so longer).</summary>
    private ReadOnlySpan<int> IdFieldSizes(int[][] idFieldSizes, int model) =>
        _models[model].Scores is { } table ? idFieldSizes[model].AsSpan(0, table.Count) : [];

    /// <summary>Gives the measure's arrays back (each shared id array once); the next size or write measures again.</summary>
    private void ReturnMeasure()
    {
        if (_idFieldSizes is not { } idFieldSizes || _modelSizes is not { } modelSizes)
        {
            return;
        }

        int[]? returned = null;
        for (var i = 0; i < _models.Length; i++)
        {
            var ids = idFieldSizes[i];
            if (ids.Length != 0 && !ReferenceEquals(ids, returned))
            {
                ArrayPool<int>.Shared.Return(ids);
                returned = ids;
            }
        }

        ArrayPool<int[]>.Shared.Return(idFieldSizes, clearArray: true);
        ArrayPool<int>.Shared.Return(modelSizes);
        (_idFieldSizes, _modelSizes, _length) = (null, null, -1);
    }

    private void Write(ref WriteContext output)
    {
        if (RequestId.Length != 0)
        {
            output.WriteRawTag(10);
            output.WriteString(RequestId);
        }

        for (var i = 0; i < _models.Length; i++)
        {
            output.WriteRawTag(18);
            output.WriteLength(_modelSizes![i]);
            _models[i].Write(ref output, IdFieldSizes(_idFieldSizes!, i));
        }
    }

    /// <summary>
    /// Lets Google.Protobuf's writer drive the answer's fields: its <see cref="WriteContext"/> over an
    /// <see cref="IBufferWriter{T}"/> is reached through a buffer message. It only writes.
    /// </summary>
    private sealed class Encoding(ScoreAnswer answer) : IBufferMessage
    {
        public MessageDescriptor Descriptor => ScoreResponse.Descriptor;

        public void WriteTo(IBufferWriter<byte> destination) => MessageExtensions.WriteTo(this, destination);

        public int CalculateSize() => answer.CalculateSize();

        public void WriteTo(CodedOutputStream output) => output.WriteRawMessage(this);

        public void InternalWriteTo(ref WriteContext output) => answer.Write(ref output);

        public void MergeFrom(CodedInputStream input) => throw new NotSupportedException("A score answer is only written.");

        public void InternalMergeFrom(ref ParseContext ctx) => throw new NotSupportedException("A score answer is only written.");
    }
}
