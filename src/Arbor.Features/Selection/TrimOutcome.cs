namespace Arbor.Features.Selection;

/// <summary>How a (model, version) lookup was resolved to an allowlist.</summary>
public enum TrimOutcome
{
    /// <summary>No allowlist exists for the model: the request goes untrimmed.</summary>
    UnknownModel,

    /// <summary>The requested version has an allowlist: it is used.</summary>
    Exact,

    /// <summary>The request named no version: the latest version's allowlist is used.</summary>
    LatestUnspecified,

    /// <summary>The requested version has no allowlist: the latest version's allowlist is used.</summary>
    LatestFallback,
}
