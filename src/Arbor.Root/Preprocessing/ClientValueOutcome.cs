namespace Arbor.Root.Preprocessing;

/// <summary>What became of one value a client sent (the <c>outcome</c> of <c>arbor.root.client_values</c>).</summary>
public enum ClientValueOutcome
{
    /// <summary>Used as sent (after the feature's transforms).</summary>
    Accepted,

    /// <summary>A NaN or an infinity refused the request.</summary>
    RejectedNonFinite,

    /// <summary>A value of another kind than the feature's raw type refused the request.</summary>
    RejectedOutOfType,

    /// <summary>A value with no kind set refused the request.</summary>
    RejectedNoKind,

    /// <summary>A feature the registry does not define refused the request.</summary>
    RejectedUnknown,

    /// <summary>A NaN or an infinity was replaced by the feature's registry default.</summary>
    DefaultedNonFinite,

    /// <summary>A value of another kind was replaced by the feature's registry default.</summary>
    DefaultedOutOfType,

    /// <summary>A value with no kind set was replaced by the feature's registry default.</summary>
    DefaultedNoKind,

    /// <summary>A feature the registry does not define was left out.</summary>
    DroppedUnknown,
}
