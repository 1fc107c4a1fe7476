namespace Arbor.Telemetry;

/// <summary>Who a finished call's gRPC status blames.</summary>
public enum StatusClass
{
    /// <summary>OK.</summary>
    Ok,

    /// <summary>The caller's mistake or choice: a bad argument, an unknown model or version, a cancelled call, a missing credential.</summary>
    ClientError,

    /// <summary>The service failed the caller: a bug, an unavailable dependency, a deadline it could not meet, lost data.</summary>
    ServerError,
}

/// <summary>
/// The one place that says whether a gRPC status is a client or a server error, for every metric,
/// page and analysis that separates them. It follows OpenTelemetry's gRPC conventions for servers:
/// UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE and DATA_LOSS are server errors;
/// every other status but OK is the client's (INVALID_ARGUMENT, NOT_FOUND, CANCELLED, ...), with one
/// addition: RESOURCE_EXHAUSTED is a server error too, because a serving tier answers it when it
/// sheds load, which an operator must see.
/// </summary>
public static class StatusClasses
{
    /// <summary>
    /// The class of <paramref name="status"/>, given as a <c>Grpc.Core.StatusCode</c> name
    /// (<c>NotFound</c>), in gRPC's upper-case form (<c>NOT_FOUND</c>) or as its number.
    /// Anything unrecognised is a server error.
    /// </summary>
    public static StatusClass Of(string? status)
    {
        if (string.IsNullOrEmpty(status))
        {
            return StatusClass.ServerError;
        }

        if (int.TryParse(status, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var code))
        {
            return Of(code);
        }

        Span<char> name = stackalloc char[Math.Min(status.Length, 32)];
        var length = 0;
        foreach (var c in status)
        {
            if (c == '_')
            {
                continue;
            }

            if (length == name.Length)
            {
                return StatusClass.ServerError;
            }

            name[length++] = char.ToLowerInvariant(c);
        }

        return name[..length] switch
        {
            "ok" => StatusClass.Ok,
            "unknown" or "deadlineexceeded" or "unimplemented" or "internal" or "unavailable" or "dataloss" or "resourceexhausted" => StatusClass.ServerError,
            "cancelled" or "invalidargument" or "notfound" or "alreadyexists" or "permissiondenied" or "failedprecondition"
                or "aborted" or "outofrange" or "unauthenticated" => StatusClass.ClientError,
            _ => StatusClass.ServerError,
        };
    }

    /// <summary>The class of the gRPC status numbered <paramref name="code"/> (0 OK ... 16 UNAUTHENTICATED).</summary>
    public static StatusClass Of(int code) => code switch
    {
        0 => StatusClass.Ok,
        2 or 4 or 8 or 12 or 13 or 14 or 15 => StatusClass.ServerError,
        1 or 3 or 5 or 6 or 7 or 9 or 10 or 11 or 16 => StatusClass.ClientError,
        _ => StatusClass.ServerError,
    };

    /// <summary>The label value metrics carry for <paramref name="class"/>: <c>ok</c>, <c>client</c> or <c>server</c>.</summary>
    public static string Label(StatusClass @class) => @class switch
    {
        StatusClass.Ok => "ok",
        StatusClass.ClientError => "client",
        _ => "server",
    };
}
