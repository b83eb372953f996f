using Switchyard.Formats;
using Switchyard.Formats.Gguf;
using Switchyard.Tensors;
using Switchyard.Tests.Models;
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

    [Fact]
    public void FromGguf_Q8_0WithDenseLayer_CountsStoredBytesExactly()
    {
        // Given qwen3_moe, d = 32, 2 heads × 16 (1 KV head), dense layer 0 (width 32), MoE layer 1 (4 experts × 32), vocab 11,
        // exported as Q8_0 (34 bytes per 32 values; norms and routers stay F32)
        using var dir = new TempDirectory();
        ModelConfig config = TinyConfigs.Create("qwen3_moe") with
        {
            HiddenSize = 32, HeadDim = 16, IntermediateSize = 32, MoeIntermediateSize = 32, MlpOnlyLayers = [0],
        };
        string path = dir.File("m.gguf");
        GgufCheckpoint.Export(new DecoderModel(config, new Rng(1), MoeFeedForward.Factory), path, GgmlType.Q8_0);

        // When its footprint is read
        ModelFootprint m = ModelFootprint.FromGguf(path);

        // Then every part has the bytes its rows hold
        const long row = 34; // one Q8_0 row of 32 values
        Assert.Equal(11 * row, m.EmbeddingBytes);
        Assert.Equal(11 * row, m.LmHeadBytes);
        Assert.Equal(32 * 4, m.OtherBytes); // output_norm
        long attention = (32 + 16 + 16 + 32) * row + 2 * 16 * 4 + 2 * 32 * 4; // q, k, v, o; q/k norms; attn_norm, ffn_norm
        Assert.Equal(new LayerFootprint(0, attention, 0, 0, 3 * 32 * row, 0, 0, 0), m.Layers[0]);
        Assert.Equal(new LayerFootprint(1, attention, 4 * 32 * 4, 0, 0, 4, 3 * 32 * row, 4 * 3 * 32 * row), m.Layers[1]);
        using var file = GgufFile.Open(path);
        Assert.Equal(file.Tensors.Sum(t => t.ByteLength), m.TotalBytes);
        Assert.Equal((2, 1, 16, 11), (m.ExpertsPerToken, m.KeyValueHeads, m.HeadDim, m.VocabSize));
    }

    [Theory]
    [InlineData("qwen2_moe")]
    [InlineData("mixtral")]
    public void FromGguf_F32Export_EqualsTheSafeTensorsFootprint(string modelType)
    {
        // Shared expert and its gate, q/k/v biases (qwen2_moe); permuted q/k rows (mixtral): same bytes per part either way.
        using var dir = new TempDirectory();
        OffloadCheckpoint.Write(dir.Path, modelType);
        GgufCheckpoint.Export(DecoderModel.FromPretrained(dir.Path, MoeFeedForward.Factory), dir.File("m.gguf"));
        ModelFootprint a = ModelFootprint.FromSafeTensors(dir.Path), b = ModelFootprint.FromGguf(dir.File("m.gguf"));
        Assert.Equal(a.Layers, b.Layers);
        Assert.Equal((a.EmbeddingBytes, a.LmHeadBytes, a.OtherBytes, a.TiedEmbeddings, a.VocabSize, a.ExpertsPerToken, a.KeyValueHeads, a.HeadDim),
            (b.EmbeddingBytes, b.LmHeadBytes, b.OtherBytes, b.TiedEmbeddings, b.VocabSize, b.ExpertsPerToken, b.KeyValueHeads, b.HeadDim));
    }
}
