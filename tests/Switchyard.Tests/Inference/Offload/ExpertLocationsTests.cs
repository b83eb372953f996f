using Switchyard.Formats;
using Switchyard.Inference;
using Switchyard.Models;
using Switchyard.Tensors;
using Switchyard.Tests.Models;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Inference.Offload;

public sealed class ExpertLocationsTests
{
    [Theory]
    [InlineData("mixtral")]
    [InlineData("qwen2_moe")]
    [InlineData("olmoe")]
    public void FromSafeTensors_PerExpertNames_PointAtEachTensor(string modelType)
    {
        using var dir = new TempDirectory();
        ModelConfig config = OffloadCheckpoint.Write(dir.Path, modelType, TensorDType.BF16);
        var table = ExpertLocations.FromSafeTensors(dir.Path, config);
        Assert.Equal(2, table.Length);
        using var index = SafeTensorsIndex.OpenCheckpoint(dir.Path);
        MoeTensorNames n = config.MoeNames;
        for (int l = 0; l < 2; l++)
        for (int e = 0; e < 4; e++)
        {
            ExpertLocation x = table[l]![e];
            TensorInfo down = index.GetInfo(n.ExpertWeight(l, e, n.DownProj));
            Assert.Equal((down.FileOffset, down.ByteLength, GgmlType.BF16, 8, config.ExpertIntermediateSize),
                (x.Down.Offset, x.Down.ByteLength, x.Down.Type, x.Down.Rows, x.Down.Cols));
            Assert.Equal(index.GetInfo(n.ExpertWeight(l, e, n.GateProj)).FileOffset, x.Gate.Offset);
            Assert.Equal(index.GetInfo(n.ExpertWeight(l, e, n.UpProj)).FileOffset, x.Up.Offset);
            Assert.Equal(Path.GetFullPath(dir.File("model.safetensors")), Path.GetFullPath(x.Gate.FilePath));
        }
    }

    [Fact]
    public void FromSafeTensors_GraniteFused_SlicesRowsPerExpert()
    {
        // Hugging Face Granite checkpoints fuse the experts (our own model writes them per expert):
        // only the fused tensors are needed here.
        using var dir = new TempDirectory();
        ModelConfig config = TinyConfigs.Create("granitemoe");
        int f = config.ExpertIntermediateSize, d = config.HiddenSize;
        var rng = new Rng(3);
        var entries = new List<SafeTensorEntry>();
        for (int l = 0; l < 2; l++)
        {
            entries.Add(new($"model.layers.{l}.block_sparse_moe.input_linear.weight", new Shape(4, 2 * f, d), TensorDType.F32, Rand.Floats(rng, 4 * 2 * f * d)));
            entries.Add(new($"model.layers.{l}.block_sparse_moe.output_linear.weight", new Shape(4, d, f), TensorDType.F32, Rand.Floats(rng, 4 * d * f)));
        }
        SafeTensors.Write(dir.File("model.safetensors"), entries);
        var table = ExpertLocations.FromSafeTensors(dir.Path, config);
        byte[] input = OffloadCheckpoint.Bytes(dir.Path, "model.layers.1.block_sparse_moe.input_linear.weight");
        byte[] output = OffloadCheckpoint.Bytes(dir.Path, "model.layers.1.block_sparse_moe.output_linear.weight");
        using var source = new StreamingExpertSource(table, 1 << 20);
        for (int e = 0; e < 4; e++)
        {
            ExpertWeights w = source.Get(1, e);
            int part = f * d * 4;
            Assert.Equal(input.AsSpan(2 * e * part, part).ToArray(), w.Gate.Bytes.ToArray());
            Assert.Equal(input.AsSpan((2 * e + 1) * part, part).ToArray(), w.Up.Bytes.ToArray());
            Assert.Equal(output.AsSpan(e * part, part).ToArray(), w.Down.Bytes.ToArray());
            Assert.Equal((f, d, d, f), (w.Gate.Rows, w.Gate.Cols, w.Down.Rows, w.Down.Cols));
        }
    }

    [Fact]
    public void FromSafeTensors_DenseLayer_IsNull()
    {
        using var dir = new TempDirectory();
        ModelConfig config = OffloadCheckpoint.Write(dir.Path, edit: c => c with { MlpOnlyLayers = [0] });
        var table = ExpertLocations.FromSafeTensors(dir.Path, config);
        Assert.Null(table[0]);
        Assert.Equal(4, table[1]!.Length);
    }

    [Fact]
    public void FromSafeTensors_ConfigWiderThanFile_ThrowsNamingTensorAndShapes()
    {
        using var dir = new TempDirectory();
        ModelConfig config = OffloadCheckpoint.Write(dir.Path);
        var e = Assert.Throws<InvalidModelFileException>(() => ExpertLocations.FromSafeTensors(dir.Path, config with { MoeIntermediateSize = 7 }));
        Assert.Contains("'model.layers.0.mlp.experts.0.gate_proj.weight' has shape [6, 8], config.json implies [7, 8]", e.Message);
    }

    [Fact]
    public void FromSafeTensors_MoreExpertsThanFile_ThrowsNamingMissingTensor()
    {
        using var dir = new TempDirectory();
        ModelConfig config = OffloadCheckpoint.Write(dir.Path);
        var e = Assert.Throws<InvalidModelFileException>(() => ExpertLocations.FromSafeTensors(dir.Path, config with { NumExperts = 5 }));
        Assert.Contains("no tensor 'model.layers.0.mlp.experts.4.gate_proj.weight'", e.Message);
    }
}
