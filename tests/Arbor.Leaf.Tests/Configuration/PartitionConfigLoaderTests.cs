using Arbor.Leaf.Configuration;
using Arbor.Leaf.Models;
using Arbor.Testing;

namespace Arbor.Leaf.Tests.Configuration;

public sealed class PartitionConfigLoaderTests
{
    [Fact]
    public void Load_SampleConfigs_ParseWithRepositoryRelativeToTheFile()
    {
        var yaml = PartitionConfigLoader.Load(RepositoryPaths.Combine("samples", "leaf", "homefeed.yaml"));
        var json = PartitionConfigLoader.Load(RepositoryPaths.Combine("samples", "leaf", "related.json"));

        Assert.Equal("homefeed", yaml.Partition);
        Assert.Equal(RepositoryPaths.Combine("models", "repo"), yaml.Repository);
        Assert.Equal(new LatestVersionsPolicy(2), yaml.Models[0].Policy);
        Assert.Equal(["1", "2"], Assert.IsType<SpecificVersionsPolicy>(yaml.Models[2].Policy).Versions);
        Assert.True(json.Batching.Enabled);
        Assert.Equal(512, json.BatchingFor("related_mt").MaxBatchRows);
        Assert.Equal(7110, json.Server.GrpcPort);
    }

    [Fact]
    public void Parse_InvalidConfig_ListsEveryProblem()
    {
        const string yaml = """
            repository: repo
            device: tpu
            concurrency: 0
            max_queued: -1
            server:
              max_streams_per_connection: 0
            models:
              - name: a
                latest: 2
              - name: b
                latest: 2
                versions: ["1"]
              - name: a
            """;

        var error = Assert.Throws<PartitionConfigException>(() => PartitionConfigLoader.Parse(yaml, yaml: true, "/tmp"));

        Assert.Contains("partition: required", error.Message, StringComparison.Ordinal);
        Assert.Contains("device: 'tpu'", error.Message, StringComparison.Ordinal);
        Assert.Contains("concurrency", error.Message, StringComparison.Ordinal);
        Assert.Contains("either latest or versions", error.Message, StringComparison.Ordinal);
        Assert.Contains("listed twice", error.Message, StringComparison.Ordinal);
        Assert.Contains("max_queued: -1", error.Message, StringComparison.Ordinal);
        Assert.Contains("server.max_streams_per_connection: 0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ModelRoles_ProductionRequiredAndExperimentsNotByDefault_EitherCanBeOverridden()
    {
        const string yaml = """
            partition: p
            repository: repo
            models:
              - name: prod
              - name: exp
                role: experiment
              - name: exp_required
                role: experiment
                required: true
              - name: prod_optional
                role: production
                required: false
            """;

        var config = PartitionConfigLoader.Parse(yaml, yaml: true, "/tmp");

        Assert.Equal(
            [("prod", ModelRole.Production, true), ("exp", ModelRole.Experiment, false), ("exp_required", ModelRole.Experiment, true), ("prod_optional", ModelRole.Production, false)],
            config.Models.Select(m => (m.Name, m.Role, m.Required)));
    }

    [Fact]
    public void Parse_UnknownRole_IsAProblemNamingIt()
    {
        const string yaml = """
            partition: p
            repository: repo
            models:
              - name: a
                role: canary
            """;

        var error = Assert.Throws<PartitionConfigException>(() => PartitionConfigLoader.Parse(yaml, yaml: true, "/tmp"));

        Assert.Contains("models[0].role: 'canary' is not production or experiment", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_QueueAndStreamLimits_AreReadWithDefaultsFromConcurrency()
    {
        const string yaml = """
            partition: p
            repository: repo
            concurrency: 3
            models:
              - name: a
            """;

        var defaults = PartitionConfigLoader.Parse(yaml, yaml: true, "/tmp");
        var set = PartitionConfigLoader.Parse(yaml + "\nmax_queued: 7\nserver:\n  max_streams_per_connection: 50\n", yaml: true, "/tmp");

        Assert.Equal(PartitionConfig.DefaultQueuedPerSlot * 3, defaults.MaxQueued);
        Assert.Equal(100, defaults.Server.MaxStreamsPerConnection);
        Assert.Equal(7, set.MaxQueued);
        Assert.Equal(50, set.Server.MaxStreamsPerConnection);
    }

    [Fact]
    public void Parse_UnknownField_IsRejected()
    {
        var error = Assert.Throws<PartitionConfigException>(() =>
            PartitionConfigLoader.Parse("""{"partition": "p", "repository": "r", "modles": []}""", yaml: false, "/tmp"));

        Assert.Contains("modles", error.Message, StringComparison.Ordinal);
    }
}
