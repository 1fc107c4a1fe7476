namespace Arbor.FeatureStore.Import;

/// <summary>A line of a feature import file is invalid; nothing of the import was written.</summary>
public sealed class FeatureImportException : Exception
{
    public FeatureImportException()
    {
    }

    public FeatureImportException(string message)
        : base(message)
    {
    }

    public FeatureImportException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public FeatureImportException(string source, long lineNumber, string problem, Exception? innerException = null)
        : base($"{source}:{lineNumber}: {problem}", innerException)
    {
        SourceName = source;
        LineNumber = lineNumber;
    }

    /// <summary>The file (or other input) the line is from.</summary>
    public string? SourceName { get; }

    /// <summary>The 1-based line the problem is on.</summary>
    public long LineNumber { get; }
}
