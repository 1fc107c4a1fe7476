using Arbor.Signatures.Signatures;

namespace Arbor.Signatures.Tests.Signatures;

public sealed class ModuleInfoParserTests
{
    private const string Valid = """
        {
          "schema": "arbor.module_info/v1",
          "model": "homefeed_ctr",
          "version": "7",
          "inputs": [
            {"name": "dense", "kind": "dense", "dtype": "float32", "features": ["user_age_days", "pin_ctr_7d"], "default": -1.5},
            {"name": "pin_emb", "kind": "vector", "dtype": "float32", "dim": 64, "features": ["pin_embedding_v3"]},
            {"name": "interests", "kind": "id_list", "dtype": "int64", "features": ["user_interest_ids"], "max_length": 64}
          ],
          "outputs": [{"name": "p_click"}, {"name": "p_save"}]
        }
        """;

    [Fact]
    public void Parse_ValidSignature_ReadsEveryField()
    {
        var info = ModuleInfoParser.Parse(Valid);

        Assert.Equal(ModuleInfo.SchemaV1, info.Schema);
        Assert.Equal("homefeed_ctr", info.Model);
        Assert.Equal("7", info.Version);
        Assert.Equal(3, info.Inputs.Count);
        Assert.Equal(new ModelInput("dense", InputKind.Dense, TensorDType.Float32, info.Inputs[0].Features, null, null, -1.5), info.Inputs[0]);
        Assert.Equal(["user_age_days", "pin_ctr_7d"], info.Inputs[0].Features);
        Assert.Equal(InputKind.Vector, info.Inputs[1].Kind);
        Assert.Equal(64, info.Inputs[1].Dim);
        Assert.Equal(InputKind.IdList, info.Inputs[2].Kind);
        Assert.Equal(TensorDType.Int64, info.Inputs[2].DType);
        Assert.Equal(64, info.Inputs[2].MaxLength);
        Assert.Equal(0.0, info.Inputs[2].Default);
        Assert.Equal(["p_click", "p_save"], info.Outputs.Select(o => o.Name));
        Assert.Equal(["user_age_days", "pin_ctr_7d", "pin_embedding_v3", "user_interest_ids"], info.Features);
    }

    [Theory]
    [InlineData("\"schema\": \"arbor.module_info/v1\"", "\"schema\": \"arbor.module_info/v2\"", "$.schema", "unknown schema 'arbor.module_info/v2'")]
    [InlineData("\"model\": \"homefeed_ctr\",", "", "$.model", "missing required field")]
    [InlineData("\"model\": \"homefeed_ctr\"", "\"model\": \"../etc\"", "$.model", "not a valid model name")]
    [InlineData("\"version\": \"7\"", "\"version\": 7", "$.version", "must be a string")]
    [InlineData("\"version\": \"7\",", "", "$.version", "missing required field")]
    [InlineData("\"kind\": \"dense\"", "\"kind\": \"sparse\"", "$.inputs[0].kind", "unknown kind 'sparse'")]
    [InlineData("\"dtype\": \"float32\", \"features\": [\"user_age_days\"", "\"dtype\": \"float16\", \"features\": [\"user_age_days\"", "$.inputs[0].dtype", "unknown dtype 'float16'")]
    [InlineData("\"dtype\": \"int64\"", "\"dtype\": \"float32\"", "$.inputs[2].dtype", "must have dtype int64")]
    [InlineData("[\"user_age_days\", \"pin_ctr_7d\"]", "[\"user_age_days\", \"user_age_days\"]", "$.inputs[0].features[1]", "feature 'user_age_days' is listed twice")]
    [InlineData("[\"pin_embedding_v3\"]", "[\"pin_ctr_7d\"]", "$.inputs[1].features[0]", "feature 'pin_ctr_7d' is listed twice (also at $.inputs[0].features[1])")]
    [InlineData("[\"user_age_days\", \"pin_ctr_7d\"]", "[]", "$.inputs[0].features", "at least one feature")]
    [InlineData("[\"user_age_days\", \"pin_ctr_7d\"]", "[\"user age\"]", "$.inputs[0].features", "not a valid feature name")]
    [InlineData("[\"user_age_days\", \"pin_ctr_7d\"]", "[\"x\", 3]", "$.inputs[0].features[1]", "expected a string, got a number")]
    [InlineData("\"dim\": 64", "\"dim\": 0", "$.inputs[1].dim", "0 is out of range [1, 65536]")]
    [InlineData("\"dim\": 64", "\"dim\": 70000", "$.inputs[1].dim", "70000 is out of range")]
    [InlineData("\"dim\": 64", "\"dim\": 6.5", "$.inputs[1].dim", "expected an integer")]
    [InlineData("\"dim\": 64,", "", "$.inputs[1].dim", "missing required field")]
    [InlineData("[\"pin_embedding_v3\"]", "[\"pin_embedding_v3\", \"pin_embedding_v2\"]", "$.inputs[1].features", "takes exactly one feature, got 2")]
    [InlineData("\"max_length\": 64", "\"max_length\": 0", "$.inputs[2].max_length", "0 is out of range")]
    [InlineData("\"max_length\": 64", "\"max_length\": -3", "$.inputs[2].max_length", "out of range")]
    [InlineData(", \"max_length\": 64", "", "$.inputs[2].max_length", "missing required field")]
    [InlineData("\"max_length\": 64", "\"max_length\": 64, \"default\": 1", "$.inputs[2].default", "takes no default")]
    [InlineData("\"default\": -1.5", "\"default\": -1.5, \"dim\": 3", "$.inputs[0].dim", "dim only applies to vector inputs")]
    [InlineData("\"default\": -1.5", "\"default\": -1.5, \"max_length\": 3", "$.inputs[0].max_length", "max_length only applies to id_list inputs")]
    [InlineData("\"default\": -1.5", "\"default\": 1e300", "$.inputs[0].default", "does not fit in float32")]
    [InlineData("\"default\": -1.5", "\"default\": \"zero\"", "$.inputs[0].default", "expected a number, got a string")]
    [InlineData("\"name\": \"pin_emb\"", "\"name\": \"dense\"", "$.inputs[1].name", "input name 'dense' is used twice")]
    [InlineData("[{\"name\": \"p_click\"}, {\"name\": \"p_save\"}]", "[{\"name\": \"p_click\"}, {\"name\": \"p_click\"}]", "$.outputs[1].name", "output 'p_click' is listed twice")]
    [InlineData("[{\"name\": \"p_click\"}, {\"name\": \"p_save\"}]", "[]", "$.outputs", "at least one output")]
    [InlineData("[{\"name\": \"p_click\"}, {\"name\": \"p_save\"}]", "[\"p_click\"]", "$.outputs[0]", "expected an object, got a string")]
    [InlineData("\"inputs\": [", "\"inputs\": {\"x\": [", "$", "not valid JSON")]
    [InlineData("\"model\": \"homefeed_ctr\",", "\"model\": \"homefeed_ctr\", \"model\": \"other\",", "$", "not valid JSON")]
    public void Parse_BadInput_ReportsProblemAtItsPath(string find, string replace, string path, string message)
    {
        Assert.Contains(find, Valid, StringComparison.Ordinal);
        var json = Valid.Replace(find, replace, StringComparison.Ordinal);

        var ex = Assert.Throws<SignatureException>(() => ModuleInfoParser.Parse(json, "test signature"));

        Assert.Contains(ex.Problems, p => p.Path == path && p.Message.Contains(message, StringComparison.Ordinal));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.StartsWith("test signature is invalid", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ManyProblems_ReportsEveryOneInOnePass()
    {
        const string json = """
            {"schema": "x", "version": "1",
             "inputs": [{"name": "a", "kind": "blob", "dtype": "float32", "features": ["f"]},
                        {"name": "b", "kind": "vector", "dtype": "float32", "features": ["f"]}],
             "outputs": []}
            """;

        Assert.False(ModuleInfoParser.TryParse(System.Text.Encoding.UTF8.GetBytes(json), out var info, out var problems));

        Assert.Null(info);
        Assert.Equal(
            ["$.schema", "$.model", "$.inputs[0].kind", "$.inputs[1].dim", "$.outputs"],
            problems.Select(p => p.Path));
    }

    [Theory]
    [InlineData("", "the document is empty")]
    [InlineData("[1, 2]", "expected an object, got an array")]
    [InlineData("{\"schema\": ", "not valid JSON (line 1")]
    [InlineData("{\"schema\": \"arbor.module_info/v1\"} trailing", "not valid JSON")]
    public void Parse_NotAnObject_ReportsRootProblem(string json, string message)
    {
        var ex = Assert.Throws<SignatureException>(() => ModuleInfoParser.Parse(json));

        var problem = Assert.Single(ex.Problems);
        Assert.Equal("$", problem.Path);
        Assert.Contains(message, problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_InvalidUtf8_ReportsProblemInsteadOfCrashing()
    {
        byte[] bytes = [(byte)'{', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)':', (byte)'1', (byte)'}'];

        var ex = Assert.Throws<SignatureException>(() => ModuleInfoParser.Parse(bytes));

        Assert.Equal("$", Assert.Single(ex.Problems).Path);
        Assert.Contains("UTF-8", ex.Message, StringComparison.OrdinalIgnoreCase);
    }
}
