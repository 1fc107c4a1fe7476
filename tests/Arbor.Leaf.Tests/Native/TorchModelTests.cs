using System.Text;
using Arbor.Leaf.Conversion;
using Arbor.Leaf.Native;
using Arbor.Leaf.Tests.TestModels;
using Arbor.Signatures.Signatures;
using Arbor.Testing;

namespace Arbor.Leaf.Tests.Native;

public sealed class TorchModelTests(TestModelSet models)
{
    [Fact]
    public void Load_ArchiveWithSignature_ReturnsTheExtraFileBytes()
    {
        using var model = TorchModel.Load(models.Archive("ctr", "1"));

        var signature = ModuleInfoParser.Parse(model.SignatureJson);
        Assert.Equal("ctr", signature.Model);
        Assert.Equal(3, signature.Inputs.Count);
        Assert.Contains("\"p_click\"", Encoding.UTF8.GetString(model.SignatureJson.Span), StringComparison.Ordinal);
    }

    [Fact]
    public void Forward_CaseInputs_EqualPythonBitwise()
    {
        using var model = TorchModel.Load(models.Archive("ctr", "2"));
        var converter = new FeatureConverter(ModuleInfoParser.Parse(model.SignatureJson));
        for (var i = 0; i < ScoringCases.All.Count; i++)
        {
            using var batch = converter.Convert(ScoringCases.All[i].ToRequest("ctr"));
            var output = new float[batch.RowCount * 2];

            var (rows, cols) = model.Forward(batch.Arguments, output);

            Assert.Equal((batch.RowCount, 2), (rows, cols));
            Assert.Equal(models.Expected("ctr", "2", i), output);
        }
    }

    [Fact]
    public void Load_GarbageFile_ThrowsTorchExceptionAndProcessSurvives()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("model.pt");
        File.WriteAllText(path, "not a zip archive");

        var error = Assert.Throws<TorchException>(() => TorchModel.Load(path));

        Assert.Equal(TorchStatus.TorchError, error.Status);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TruncatedArchive_ThrowsTorchException()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("model.pt");
        var bytes = File.ReadAllBytes(models.Archive("ctr", "1"));
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);

        Assert.Throws<TorchException>(() => TorchModel.Load(path));
    }

    [Fact]
    public void Load_MissingFile_ThrowsWithThePath()
    {
        var error = Assert.Throws<TorchException>(() => TorchModel.Load("/nonexistent/model.pt"));

        Assert.Contains("/nonexistent/model.pt", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_CudaWithoutCuda_FailsWithDeviceUnavailable()
    {
        var error = Assert.Throws<TorchException>(() => TorchModel.Load(models.Archive("dense", "1"), "cuda"));

        Assert.Equal(TorchStatus.DeviceUnavailable, error.Status);
        Assert.Contains("CUDA is not available", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_UnknownDevice_FailsWithMessage()
    {
        var error = Assert.Throws<TorchException>(() => TorchModel.Load(models.Archive("dense", "1"), "tpu"));

        Assert.Contains("tpu", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Forward_WrongShape_ThrowsTorchExceptionAndModelStillWorks()
    {
        using var model = TorchModel.Load(models.Archive("dense", "1"));
        var output = new float[16];

        // dense expects [B, 2]; give it [2, 3].
        var error = Assert.Throws<TorchException>(() => model.Forward([TensorInput.Float32(new float[6], 2, 3)], output));
        Assert.Equal(TorchStatus.TorchError, error.Status);

        var (rows, cols) = model.Forward([TensorInput.Float32(new float[4], 2, 2)], output);
        Assert.Equal((2, 1), (rows, cols));
    }

    [Fact]
    public void Forward_WrongArgumentCount_ThrowsTorchException()
    {
        using var model = TorchModel.Load(models.Archive("dense", "1"));

        var error = Assert.Throws<TorchException>(() => model.Forward([], new float[4]));

        Assert.Contains("forward", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Forward_IdOutOfRangeInsideForward_ThrowsTorchException()
    {
        using var model = TorchModel.Load(models.Archive("raw_ids", "1"));
        var converter = new FeatureConverter(ModuleInfoParser.Parse(model.SignatureJson));
        var request = new ScoringCase(1, [new CaseFeature("ids", [new long[] { 5_000_000 }], [])]).ToRequest("raw_ids");
        using var batch = converter.Convert(request);

        var error = Assert.Throws<TorchException>(() => model.Forward(batch.Arguments, new float[2]));

        Assert.Equal(TorchStatus.TorchError, error.Status);
    }

    [Fact]
    public void Forward_OutputBufferTooSmall_ThrowsInvalidArgument()
    {
        using var model = TorchModel.Load(models.Archive("dense", "1"));

        var error = Assert.Throws<TorchException>(() => model.Forward([TensorInput.Float32(new float[8], 4, 2)], new float[3]));

        Assert.Equal(TorchStatus.InvalidArgument, error.Status);
    }

    [Fact]
    public void Forward_AfterDispose_ThrowsObjectDisposed()
    {
        var model = TorchModel.Load(models.Archive("dense", "1"));
        model.Dispose();

        Assert.Throws<ObjectDisposedException>(() => model.Forward([TensorInput.Float32(new float[2], 1, 2)], new float[1]));
    }

    [Fact]
    public void Forward_ManyThreadsOnOneModel_AllEqualTheSingleThreadedScores()
    {
        using var model = TorchModel.Load(models.Archive("ctr", "1"));
        var converter = new FeatureConverter(ModuleInfoParser.Parse(model.SignatureJson));
        var expected = models.Expected("ctr", "1", 0);
        var mismatches = 0;

        Parallel.For(0, 400, new ParallelOptions { MaxDegreeOfParallelism = 4 }, _ =>
        {
            using var batch = converter.Convert(ScoringCases.All[0].ToRequest("ctr"));
            var output = new float[6];
            model.Forward(batch.Arguments, output);
            if (!output.AsSpan().SequenceEqual(expected))
            {
                Interlocked.Increment(ref mismatches);
            }
        });

        Assert.Equal(0, mismatches);
    }

    [Fact]
    public void Configure_SecondInteropSetting_KeepsTheFirst()
    {
        var first = TorchRuntime.Configure(new TorchThreading(1, 1));

        var second = TorchRuntime.Configure(new TorchThreading(1, 3));

        Assert.Equal(first.InteropThreads, second.InteropThreads);
    }
}
