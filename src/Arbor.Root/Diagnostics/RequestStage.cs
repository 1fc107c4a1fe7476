namespace Arbor.Root.Diagnostics;

/// <summary>
/// The stages of a score request at the root, in order (<c>arbor.root.request.stage.duration</c>,
/// <c>/admin/stats</c> <c>stages</c>): what the request's time went to before its answer is written.
/// </summary>
public enum RequestStage
{
    /// <summary>Waiting for a turn of admission control.</summary>
    Queue,

    /// <summary>Ids, validation, routing, trim decisions and the fetch plan, then the features' fetch (cache or store) and the columns.</summary>
    Features,

    /// <summary>Encoding the columns, once for every leaf call.</summary>
    Encode,

    /// <summary>The fan-out: from the first leaf call's start until every leaf call has ended.</summary>
    Leaves,
}
