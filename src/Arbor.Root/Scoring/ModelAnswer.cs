using Arbor.Contracts.V1;
using Google.Protobuf;

namespace Arbor.Root.Scoring;

/// <summary>
/// One model's part of a <see cref="ScoreAnswer"/>: the fields of a <c>ModelResult</c>, with its
/// candidates' scores held as a <see cref="ScoreTable"/> (none when the model failed).
/// </summary>
public sealed class ModelAnswer
{
    private static readonly string[] NoOutputs = [];

    public ModelAnswer(string model, string version, int statusCode, string statusMessage, bool trimmed, string partition, IReadOnlyList<string>? outputs = null, ScoreTable? scores = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(version);
        ArgumentNullException.ThrowIfNull(statusMessage);
        ArgumentNullException.ThrowIfNull(partition);
        Model = model;
        Version = version;
        StatusCode = statusCode;
        StatusMessage = statusMessage;
        Trimmed = trimmed;
        Partition = partition;
        Outputs = outputs ?? NoOutputs;
        Scores = scores;
    }

    public string Model { get; }

    public string Version { get; }

    /// <summary>The model's status code (a <c>google.rpc.Code</c>; 0 is OK).</summary>
    public int StatusCode { get; }

    public string StatusMessage { get; }

    public bool Trimmed { get; }

    public string Partition { get; }

    /// <summary>The names of the model's outputs (the leaf's list, not a copy).</summary>
    public IReadOnlyList<string> Outputs { get; }

    /// <summary>The scores of every requested candidate; null when the model answered none.</summary>
    public ScoreTable? Scores { get; }

    private int StatusSize =>
        (StatusCode != 0 ? 1 + CodedOutputStream.ComputeInt32Size(StatusCode) : 0)
        + (StatusMessage.Length != 0 ? 1 + CodedOutputStream.ComputeStringSize(StatusMessage) : 0);

    /// <summary>The size of the <c>ModelResult</c> (without its tag and length), given its table's id field sizes.</summary>
    internal int Measure(ReadOnlySpan<int> idFieldSizes)
    {
        var size = 0;
        if (Model.Length != 0)
        {
            size += 1 + CodedOutputStream.ComputeStringSize(Model);
        }

        if (Version.Length != 0)
        {
            size += 1 + CodedOutputStream.ComputeStringSize(Version);
        }

        for (var i = 0; i < Outputs.Count; i++)
        {
            size += 1 + CodedOutputStream.ComputeStringSize(Outputs[i]);
        }

        if (Scores is { } scores)
        {
            size += scores.CandidatesFieldsSize(idFieldSizes);
        }

        var status = StatusSize;
        size += 1 + CodedOutputStream.ComputeLengthSize(status) + status;
        if (Trimmed)
        {
            size += 2;
        }

        if (Partition.Length != 0)
        {
            size += 1 + CodedOutputStream.ComputeStringSize(Partition);
        }

        return size;
    }

    /// <summary>Writes the <c>ModelResult</c>'s fields in the generated code's order, leaving out what it leaves out.</summary>
    internal void Write(ref WriteContext output, ReadOnlySpan<int> idFieldSizes)
    {
        if (Model.Length != 0)
        {
            output.WriteRawTag(10);
            output.WriteString(Model);
        }

        if (Version.Length != 0)
        {
            output.WriteRawTag(18);
            output.WriteString(Version);
        }

        for (var i = 0; i < Outputs.Count; i++)
        {
            output.WriteRawTag(26);
            output.WriteString(Outputs[i]);
        }

        Scores?.WriteCandidates(ref output, idFieldSizes);

        // The status is always set, so always written (an OK status with no message is an empty message).
        output.WriteRawTag(42);
        output.WriteLength(StatusSize);
        if (StatusCode != 0)
        {
            output.WriteRawTag(8);
            output.WriteInt32(StatusCode);
        }

        if (StatusMessage.Length != 0)
        {
            output.WriteRawTag(18);
            output.WriteString(StatusMessage);
        }

        if (Trimmed)
        {
            output.WriteRawTag(48);
            output.WriteBool(true);
        }

        if (Partition.Length != 0)
        {
            output.WriteRawTag(58);
            output.WriteString(Partition);
        }
    }

    /// <summary>The generated <c>ModelResult</c>.</summary>
    internal ModelResult ToResult()
    {
        var result = new ModelResult
        {
            Model = Model,
            Version = Version,
            Status = new Status { Code = StatusCode, Message = StatusMessage },
            Trimmed = Trimmed,
            Partition = Partition,
        };
        result.Outputs.Add(Outputs);
        Scores?.AddTo(result.Candidates);
        return result;
    }
}
