using Arbor.Features.Values;
using Arbor.Signatures.Bundles;
using Arbor.Signatures.Registry;
using Arbor.Signatures.Signatures;

namespace Arbor.Signatures.Tests.Registry;

public sealed class FeatureRegistryCheckTests
{
    private static readonly FeatureRegistry Registry = new(FeatureRegistry.SchemaV1,
    [
        new FeatureDefinition("pin_ctr", FeatureType.Float, FeatureEntity.Candidate),
        new FeatureDefinition("pin_bucket", FeatureType.Int64, FeatureEntity.Candidate),
        new FeatureDefinition("pin_title", FeatureType.String, FeatureEntity.Candidate),
        new FeatureDefinition("user_emb", FeatureType.FloatVector, FeatureEntity.User, Dim: 32),
        new FeatureDefinition("user_ids", FeatureType.Int64List, FeatureEntity.User),
    ]);

    private static ModuleInfo Signature(params ModelInput[] inputs) =>
        new(ModuleInfo.SchemaV1, "m", "3", inputs, [new ModelOutput("p")]);

    [Fact]
    public void Check_EverythingServed_FindsNothing()
    {
        var signature = Signature(
            new ModelInput("dense", InputKind.Dense, TensorDType.Float32, ["pin_ctr", "pin_bucket"]),
            new ModelInput("emb", InputKind.Vector, TensorDType.Float32, ["user_emb"], Dim: 32),
            new ModelInput("ids", InputKind.IdList, TensorDType.Int64, ["user_ids"], MaxLength: 8));

        Assert.Empty(FeatureRegistryCheck.Check(Registry, [signature]));
    }

    [Fact]
    public void Check_FeatureMissingFromRegistry_ReportsMissingFeature()
    {
        var signature = Signature(new ModelInput("dense", InputKind.Dense, TensorDType.Float32, ["pin_ctr", "pin_ctr_v2"]));

        var finding = Assert.Single(FeatureRegistryCheck.Check(Registry, [signature]));

        Assert.Equal(new RegistryFinding("m", "3", "pin_ctr_v2", RegistryFindingKind.MissingFeature, finding.Message, "dense"), finding);
        Assert.Contains("not in the feature registry", finding.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(InputKind.Dense, "pin_title", RegistryFindingKind.TypeMismatch, "registry type string cannot feed dense input")]
    [InlineData(InputKind.Vector, "pin_ctr", RegistryFindingKind.TypeMismatch, "registry type float cannot feed vector input")]
    [InlineData(InputKind.Vector, "user_emb", RegistryFindingKind.DimMismatch, "registry dim 32 differs from vector input 'x' dim 64")]
    [InlineData(InputKind.IdList, "pin_bucket", RegistryFindingKind.TypeMismatch, "registry type int64 cannot feed id_list input")]
    public void Check_UnusableType_ReportsMismatch(InputKind kind, string feature, RegistryFindingKind expected, string message)
    {
        var input = new ModelInput("x", kind, kind == InputKind.IdList ? TensorDType.Int64 : TensorDType.Float32, [feature],
            Dim: kind == InputKind.Vector ? 64 : null, MaxLength: kind == InputKind.IdList ? 4 : null);

        var finding = Assert.Single(FeatureRegistryCheck.Check(Registry, [Signature(input)]));

        Assert.Equal(expected, finding.Kind);
        Assert.Contains(message, finding.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_BundleAllowlistWithUnknownFeature_ReportsModelVersionAndFeature()
    {
        var bundle = new BundleDocument(BundleDocument.SchemaV1, "b", DateTimeOffset.UnixEpoch, new Dictionary<string, BundleModel>
        {
            ["m"] = new("2", new Dictionary<string, BundleModelVersion>
            {
                ["1"] = new(["pin_ctr"], new string('0', 64)),
                ["2"] = new(["pin_ctr", "ghost"], new string('0', 64)),
            }),
        });

        var finding = Assert.Single(FeatureRegistryCheck.Check(Registry, bundle));

        Assert.Equal(("m", "2", "ghost", RegistryFindingKind.MissingFeature), (finding.Model, finding.Version, finding.Feature, finding.Kind));
    }
}
