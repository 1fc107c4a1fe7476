using Arbor.Contracts.V1;
using Arbor.Testing;
using Google.Protobuf;

namespace Arbor.Root.Tests.Hosting;

/// <summary>The proto3 JSON request of docs/model-signature.md parses as the JSON endpoint parses it.</summary>
public sealed class DocumentedRequestExampleTests
{
    [Fact]
    public void ScoreRequestExample_ParsesWithOneValueOfEveryKind()
    {
        var json = DocumentationExamples.Read("model-signature.md", "score_request.json");

        var request = new JsonParser(JsonParser.Settings.Default.WithIgnoreUnknownFields(false)).Parse<ScoreRequest>(json);

        Assert.Equal(("homefeed", "u9", 2), (request.Surface, request.UserId, request.Candidates.Count));
        Assert.Equal(FeatureValue.KindOneofCase.FloatValue, request.Context["ctx_hour_of_day"].KindCase);
        var kinds = request.Candidates[0].Features.Values.Select(v => v.KindCase).ToHashSet();
        var every = Enum.GetValues<FeatureValue.KindOneofCase>().Where(k => k != FeatureValue.KindOneofCase.None);
        Assert.Equal(every.OrderBy(k => k), kinds.OrderBy(k => k));
        Assert.Equal([17L, 204L, 9001L], request.Candidates[0].Features["pin_topic_ids"].Int64List.Values);
        Assert.Equal(12L, request.Candidates[0].Features["pin_age_days"].Int64Value);
    }
}
