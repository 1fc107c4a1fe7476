using Arbor.Features.Values;
using Arbor.Signatures.Registry;

namespace Arbor.Signatures.Tests.Registry;

public sealed class FeatureRegistryJsonTests
{
    private const string Valid = """
        {"schema": "arbor.feature_registry/v1", "features": [
          {"name": "pin_ctr_7d", "type": "float", "entity": "candidate", "transforms": [{"kind": "clip", "min": 0.0, "max": 1.0}]},
          {"name": "pin_clicks_7d", "type": "float", "entity": "candidate", "transforms": [{"kind": "default_fill", "fill": 0.0}, {"kind": "log1p"}]},
          {"name": "user_emb", "type": "float_vector", "entity": "user", "dim": 64},
          {"name": "user_interest_ids", "type": "int64_list", "entity": "user"},
          {"name": "ctx_device_id", "type": "int64", "entity": "context", "transforms": [{"kind": "hash_to_id", "buckets": 64}]},
          {"name": "pin_age_bucket", "type": "int64", "entity": "candidate", "transforms": [{"kind": "bucketize", "boundaries": [1.0, 7.0]}]},
          {"name": "pin_title", "type": "string", "entity": "candidate", "description": "free text"}
        ]}
        """;

    [Fact]
    public void Parse_ValidRegistry_ReadsTypesEntitiesAndTransforms()
    {
        var registry = FeatureRegistryJson.Parse(Valid);

        Assert.Equal(7, registry.Features.Count);
        Assert.Equal(FeatureEntity.Candidate, registry.Features[0].Entity);
        Assert.Equal(new FeatureTransform(TransformKind.Clip, Min: 0.0, Max: 1.0), registry.Features[0].Transforms![0]);
        Assert.Equal([TransformKind.DefaultFill, TransformKind.Log1p], registry.Features[1].Transforms!.Select(t => t.Kind));
        Assert.Equal(64, registry.Features[2].Dim);
        Assert.Equal(FeatureType.Int64List, registry.Features[3].Type);
        Assert.Equal(64, registry.Features[4].Transforms![0].Buckets);
        Assert.Equal([1.0, 7.0], registry.Features[5].Transforms![0].Boundaries!);
        Assert.Equal("free text", registry.Features[6].Description);
    }

    [Fact]
    public void Write_ThenParse_RoundTrips()
    {
        var registry = FeatureRegistryJson.Parse(Valid);

        var again = FeatureRegistryJson.Parse(FeatureRegistryJson.ToJsonString(registry));

        Assert.Equal(FeatureRegistryJson.ToJsonString(registry), FeatureRegistryJson.ToJsonString(again));
        Assert.Equal(registry.Features.Select(f => (f.Name, f.Type, f.Entity, f.Dim)), again.Features.Select(f => (f.Name, f.Type, f.Entity, f.Dim)));
    }

    [Theory]
    [InlineData("\"type\": \"float\", \"entity\": \"candidate\", \"transforms\": [{\"kind\": \"clip\"", "\"type\": \"double\", \"entity\": \"candidate\", \"transforms\": [{\"kind\": \"clip\"", "$.features[0].type", "unknown type 'double'")]
    [InlineData("\"entity\": \"user\", \"dim\": 64", "\"entity\": \"session\", \"dim\": 64", "$.features[2].entity", "unknown entity 'session'")]
    [InlineData(", \"dim\": 64", "", "$.features[2].dim", "float_vector feature declares its dim")]
    [InlineData("\"type\": \"int64_list\", \"entity\": \"user\"", "\"type\": \"int64_list\", \"entity\": \"user\", \"dim\": 3", "$.features[3].dim", "dim only applies to float_vector")]
    [InlineData("\"name\": \"pin_clicks_7d\"", "\"name\": \"pin_ctr_7d\"", "$.features[1].name", "feature 'pin_ctr_7d' is defined twice")]
    [InlineData("{\"kind\": \"log1p\"}", "{\"kind\": \"sqrt\"}", "$.features[1].transforms[1].kind", "unknown transform 'sqrt'")]
    [InlineData("\"min\": 0.0, \"max\": 1.0", "\"min\": 2.0, \"max\": 1.0", "$.features[0].transforms[0]", "clip min 2 is greater than max 1")]
    [InlineData("\"min\": 0.0, \"max\": 1.0", "\"lower\": 0.0", "$.features[0].transforms[0]", "clip needs min, max or both")]
    [InlineData("{\"kind\": \"default_fill\", \"fill\": 0.0}", "{\"kind\": \"default_fill\"}", "$.features[1].transforms[0].fill", "default_fill needs a fill value")]
    [InlineData("[1.0, 7.0]", "[7.0, 1.0]", "$.features[5].transforms[0].boundaries[1]", "strictly ascending")]
    [InlineData("\"buckets\": 64", "\"buckets\": 0", "$.features[4].transforms[0].buckets", "out of range")]
    [InlineData("\"type\": \"int64\", \"entity\": \"candidate\", \"transforms\": [{\"kind\": \"bucketize\"", "\"type\": \"float\", \"entity\": \"candidate\", \"transforms\": [{\"kind\": \"bucketize\"", "$.features[5].transforms[0]", "bucketize yields an int64 bucket index")]
    [InlineData("\"type\": \"float\", \"entity\": \"candidate\", \"transforms\": [{\"kind\": \"default_fill\"", "\"type\": \"string\", \"entity\": \"candidate\", \"transforms\": [{\"kind\": \"default_fill\"", "$.features[1].transforms[1]", "log1p yields floats")]
    [InlineData("\"arbor.feature_registry/v1\"", "\"arbor.feature_registry/v0\"", "$.schema", "unknown schema")]
    [InlineData("\"type\": \"int64_list\", \"entity\": \"user\"", "\"type\": \"int64_list\", \"entity\": \"user\", \"min\": 5, \"max\": 4", "$.features[3]", "id range min 5 is greater than max 4")]
    [InlineData("\"type\": \"int64_list\", \"entity\": \"user\"", "\"type\": \"int64_list\", \"entity\": \"user\", \"min\": 5", "$.features[3].max", "an id range gives both min and max")]
    [InlineData("\"type\": \"int64_list\", \"entity\": \"user\"", "\"type\": \"int64_list\", \"entity\": \"user\", \"cardinality\": 10, \"max\": 4", "$.features[3]", "either cardinality or min and max")]
    [InlineData("\"type\": \"int64_list\", \"entity\": \"user\"", "\"type\": \"int64_list\", \"entity\": \"user\", \"cardinality\": 0", "$.features[3].cardinality", "out of range")]
    [InlineData("\"entity\": \"user\", \"dim\": 64", "\"entity\": \"user\", \"dim\": 64, \"cardinality\": 10", "$.features[2]", "only apply to int64_list features")]
    public void Parse_BadRegistry_ReportsProblemAtItsPath(string find, string replace, string path, string message)
    {
        Assert.Contains(find, Valid, StringComparison.Ordinal);

        var ex = Assert.Throws<FeatureRegistryException>(() => FeatureRegistryJson.Parse(Valid.Replace(find, replace, StringComparison.Ordinal)));

        Assert.Contains(ex.Problems, p => p.Path == path && p.Message.Contains(message, StringComparison.Ordinal));
    }

    private const string WithPolicy = """
        {"schema": "arbor.feature_registry/v1",
         "input_policy": {"non_finite": "default", "out_of_type": "reject", "no_kind": "default", "unknown_feature": "reject"},
         "features": [
          {"name": "pin_ctr", "type": "float", "entity": "candidate", "input_policy": {"non_finite": "reject", "out_of_type": "default"}},
          {"name": "pin_clicks", "type": "float", "entity": "candidate", "transforms": [{"kind": "default_fill", "fill": 0.0}]}
        ]}
        """;

    [Fact]
    public void Parse_NoInputPolicy_RefusesBadValuesAndDropsUnknownNames()
    {
        var registry = FeatureRegistryJson.Parse(Valid);

        Assert.Null(registry.InputPolicy);
        Assert.All(registry.Features, f => Assert.Null(f.InputPolicy));
        Assert.Equal(
            new InputPolicy(ClientValueAction.Reject, ClientValueAction.Reject, ClientValueAction.Reject, UnknownFeatureAction.Drop),
            registry.EffectiveInputPolicy);
    }

    [Fact]
    public void Parse_InputPolicy_ReadsTheRegistryDefaultAndEachFeaturesOverrides()
    {
        var registry = FeatureRegistryJson.Parse(WithPolicy);

        var policy = registry.EffectiveInputPolicy;
        Assert.Equal(new InputPolicy(ClientValueAction.Default, ClientValueAction.Reject, ClientValueAction.Default, UnknownFeatureAction.Reject), policy);
        Assert.Equal(new FeatureInputPolicy(NonFinite: ClientValueAction.Reject, OutOfType: ClientValueAction.Default), registry.Features[0].InputPolicy);
        Assert.Equal(
            new InputPolicy(ClientValueAction.Reject, ClientValueAction.Default, ClientValueAction.Default, UnknownFeatureAction.Reject),
            policy.With(registry.Features[0].InputPolicy));
        Assert.Same(policy, policy.With(registry.Features[1].InputPolicy));
    }

    [Fact]
    public void Parse_PartialInputPolicy_KeepsTheDefaultsOfTheFieldsItOmits()
    {
        var registry = FeatureRegistryJson.Parse(Valid.Replace(
            "\"features\": [", "\"input_policy\": {\"no_kind\": \"default\"}, \"features\": [", StringComparison.Ordinal));

        Assert.Equal(InputPolicy.Default with { NoKind = ClientValueAction.Default }, registry.EffectiveInputPolicy);
    }

    [Fact]
    public void Write_ThenParse_KeepsTheInputPolicy()
    {
        var registry = FeatureRegistryJson.Parse(WithPolicy);

        var again = FeatureRegistryJson.Parse(FeatureRegistryJson.ToJsonString(registry));

        Assert.Equal(registry.InputPolicy, again.InputPolicy);
        Assert.Equal(registry.Features.Select(f => f.InputPolicy), again.Features.Select(f => f.InputPolicy));
    }

    [Theory]
    [InlineData("\"non_finite\": \"default\"", "\"non_finite\": \"zero\"", "$.input_policy.non_finite", "unknown action 'zero' (expected reject or default)")]
    [InlineData("\"unknown_feature\": \"reject\"", "\"unknown_feature\": \"default\"", "$.input_policy.unknown_feature", "unknown action 'default' (expected drop or reject)")]
    [InlineData("\"out_of_type\": \"default\"}}", "\"out_of_type\": \"drop\"}}", "$.features[0].input_policy.out_of_type", "unknown action 'drop' (expected reject or default)")]
    [InlineData("{\"non_finite\": \"reject\", \"out_of_type\"", "{\"unknown_feature\": \"drop\", \"out_of_type\"", "$.features[0].input_policy.unknown_feature", "applies to the whole registry")]
    [InlineData("\"no_kind\": \"default\",", "\"nan\": \"default\",", "$.input_policy.nan", "unknown field")]
    [InlineData("\"non_finite\": \"reject\"", "\"non_finite\": true", "$.features[0].input_policy.non_finite", "expected")]
    [InlineData("{\"non_finite\": \"reject\", \"out_of_type\": \"default\"}", "\"reject\"", "$.features[0].input_policy", "expected")]
    public void Parse_BadInputPolicy_ReportsProblemAtItsPath(string find, string replace, string path, string message)
    {
        Assert.Contains(find, WithPolicy, StringComparison.Ordinal);

        var ex = Assert.Throws<FeatureRegistryException>(() => FeatureRegistryJson.Parse(WithPolicy.Replace(find, replace, StringComparison.Ordinal)));

        Assert.Contains(ex.Problems, p => p.Path == path && p.Message.Contains(message, StringComparison.Ordinal));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"cardinality\": 5000", 0L, 4999L)]
    [InlineData("\"min\": -3, \"max\": 9007199254740993", -3L, 9007199254740993L)]
    public void Parse_Int64ListIdRange_ReadsCardinalityOrMinAndMax(string range, long min, long max)
    {
        var registry = FeatureRegistryJson.Parse(Valid.Replace("\"type\": \"int64_list\", \"entity\": \"user\"", $"\"type\": \"int64_list\", \"entity\": \"user\", {range}", StringComparison.Ordinal));

        Assert.Equal(new FeatureIdRange(min, max), registry.Features[3].Ids);
        Assert.Equal(new FeatureIdRange(min, max), FeatureRegistryJson.Parse(FeatureRegistryJson.ToJsonString(registry)).Features[3].Ids);
    }

    [Fact]
    public void IdRangeOf_UndeclaredRange_FallsBackToHashBucketsThenTheDefault()
    {
        var registry = FeatureRegistryJson.Parse(Valid);

        Assert.Null(registry.Features[3].Ids);
        Assert.Equal(FeatureIdRange.Default, FeatureIdRange.Of(registry.Features[3]));
        Assert.Equal(new FeatureIdRange(0, 63), FeatureIdRange.Of(registry.Features[4]));
        Assert.Equal(FeatureIdRange.Default, FeatureIdRange.Of(null));
    }
}
