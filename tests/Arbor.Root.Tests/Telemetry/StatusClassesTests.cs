using Arbor.Telemetry;
using Grpc.Core;

namespace Arbor.Root.Tests.Telemetry;

/// <summary>The one mapping from a gRPC status to who it blames, in every spelling metrics use.</summary>
public sealed class StatusClassesTests
{
    public static TheoryData<StatusCode, StatusClass> Codes() => new()
    {
        { StatusCode.OK, StatusClass.Ok },
        { StatusCode.Cancelled, StatusClass.ClientError },
        { StatusCode.Unknown, StatusClass.ServerError },
        { StatusCode.InvalidArgument, StatusClass.ClientError },
        { StatusCode.DeadlineExceeded, StatusClass.ServerError },
        { StatusCode.NotFound, StatusClass.ClientError },
        { StatusCode.AlreadyExists, StatusClass.ClientError },
        { StatusCode.PermissionDenied, StatusClass.ClientError },
        { StatusCode.ResourceExhausted, StatusClass.ServerError },
        { StatusCode.FailedPrecondition, StatusClass.ClientError },
        { StatusCode.Aborted, StatusClass.ClientError },
        { StatusCode.OutOfRange, StatusClass.ClientError },
        { StatusCode.Unimplemented, StatusClass.ServerError },
        { StatusCode.Internal, StatusClass.ServerError },
        { StatusCode.Unavailable, StatusClass.ServerError },
        { StatusCode.DataLoss, StatusClass.ServerError },
        { StatusCode.Unauthenticated, StatusClass.ClientError },
    };

    [Theory]
    [MemberData(nameof(Codes))]
    public void Of_EverySpelling_GivesTheSameClass(StatusCode code, StatusClass expected)
    {
        var upperSnake = string.Concat(code.ToString().Select((c, i) => i > 0 && char.IsUpper(c) ? $"_{c}" : $"{char.ToUpperInvariant(c)}"));

        Assert.Equal(expected, StatusClasses.Of(code.ToString()));
        Assert.Equal(expected, StatusClasses.Of(upperSnake));
        Assert.Equal(expected, StatusClasses.Of((int)code));
        Assert.Equal(expected, StatusClasses.Of(((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Exploded")]
    [InlineData("a status name far longer than any gRPC status has")]
    [InlineData("17")]
    public void Of_Unrecognised_IsAServerError(string? status) =>
        Assert.Equal(StatusClass.ServerError, StatusClasses.Of(status));

    [Fact]
    public void Label_NamesEachClass() =>
        Assert.Equal(["ok", "client", "server"], Enum.GetValues<StatusClass>().Select(StatusClasses.Label));
}
