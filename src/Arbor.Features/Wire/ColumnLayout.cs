namespace Arbor.Features.Wire;

/// <summary>
/// The sizes measured for one column before it is written, so the writer never measures twice.
/// </summary>
internal struct ColumnLayout
{
    /// <summary>UTF-8 length of the name.</summary>
    public int NameBytes;

    /// <summary>Length of the missing bitmap written (0: field omitted).</summary>
    public int MissingBytes;

    /// <summary>Length of the values sub-message body.</summary>
    public int ValuesBody;

    /// <summary>Kind-specific size (e.g. the packed payload of the first repeated field).</summary>
    public int PartA;

    /// <summary>Kind-specific size (e.g. the packed payload of the second repeated field).</summary>
    public int PartB;

    /// <summary>Length of the FeatureColumn message body.</summary>
    public int Body;

    /// <summary>Bytes of the whole field: tag, length and body.</summary>
    public int Total;

    /// <summary>Raw bytes of the values carried (see <see cref="Batches.BatchColumn.ValueBytes"/>).</summary>
    public long ValueBytes;
}
