using Switchyard.Formats;
using Switchyard.Inference;
using Switchyard.Models;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Inference.Offload;

public sealed class ModelFootprintTests
{
    [Fact]
    public void FromSafeTensors_Qwen2Moe_SplitsBytesByPart()
    {
        // d = 8, vocab 11, 2 layers of 4 experts of width 6 and a shared expert of width 10 (+ its gate), float32.
        using var dir = new TempDirectory();
        ModelConfig config = OffloadCheckpoint.Write(dir.Path, "qwen2_moe");
        ModelFootprint m = ModelFootprint.FromSafeTensors(dir.Path);
        Assert.Equal(11 * 8 * 4, m.EmbeddingBytes);
        Assert.Equal(11 * 8 * 4, m.LmHeadBytes);
        Assert.Equal(8 * 4, m.OtherBytes); // final norm
        Assert.Equal(2, m.Layers.Count);
        foreach (LayerFootprint l in m.Layers)
        {
            Assert.Equal(4 * 8 * 4, l.RouterBytes);
            Assert.Equal((3 * 8 * 10 + 8) * 4, l.SharedExpertBytes);
            Assert.Equal(3 * 6 * 8 * 4, l.ExpertBytes);
            Assert.Equal(4 * 3 * 6 * 8 * 4, l.RoutedExpertBytes);
            Assert.Equal(0, l.DenseFeedForwardBytes);
            Assert.Equal((192 + 8 + 4 + 4 + 16) * 4, l.AttentionBytes); // q, k, v, o; q/k/v biases; two norms
        }
        Assert.Equal(ModelCost.Parameters(config) * 4, m.TotalBytes);
        Assert.Equal((2, 1, 4, 8), (m.ExpertsPerToken, m.KeyValueHeads, m.HeadDim, m.ExpertCount));
        Assert.Equal(2L * 2 * 1 * 4 * 100 * 4, m.KvCacheBytes(100));
    }

    [Fact]
    public void FromSafeTensors_ShardedTiedWithDenseLayer_CountsDenseMlpAndNoHead()
    {
        using var dir = new TempDirectory();
        ModelConfig config = OffloadCheckpoint.Write(dir.Path, "qwen3_moe", TensorDType.BF16, maxShardBytes: 500,
            edit: c => c with { TieWordEmbeddings = true, MlpOnlyLayers = [0] });
        Assert.True(File.Exists(dir.File("model.safetensors.index.json")));
        ModelFootprint m = ModelFootprint.FromSafeTensors(dir.Path);
        Assert.True(m.TiedEmbeddings);
        Assert.Equal(0, m.LmHeadBytes);
        Assert.Equal(3 * 8 * 12 * 2, m.Layers[0].DenseFeedForwardBytes);
        Assert.False(m.Layers[0].IsMoe);
        Assert.Equal(4, m.Layers[1].Experts);
        Assert.Equal(ModelCost.Parameters(config) * 2, m.TotalBytes);
    }
}
