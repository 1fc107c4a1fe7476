namespace Arbor.Client;

/// <summary>Settings of an <see cref="ArborRootClient"/>.</summary>
public sealed class ArborRootClientOptions
{
    /// <summary>Leave out client-supplied features that no routed model uses (default on).</summary>
    public bool TrimClientFeatures { get; init; } = true;

    /// <summary>
    /// How old a cached view may get before it is checked again, in the background, with the next
    /// call that uses it (a stale view never changes a score: the root refuses it and the client
    /// fetches the view again at once; checking keeps those refusals rare).
    /// </summary>
    public TimeSpan RefreshInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The API key sent with every call (<c>authorization: Bearer KEY</c>), for roots whose public
    /// API requires one (<c>auth.keys</c>); null sends none.
    /// </summary>
    public string? ApiKey { get; init; }

    /// <summary>The clock (tests pass a fake one).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
