using Switchyard.Nn;
using Switchyard.Nn.Layers;
using Switchyard.Tensors;

namespace Switchyard.Tests.Nn;

public sealed class ModuleCheckpointTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("switchyard-nn-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    sealed class Net : Module
    {
        public Net(Rng rng, int hidden = 8, bool extra = false)
        {
            AddModule("embed_tokens", new Embedding(11, hidden, rng));
            AddModule("mlp", new SwiGluMlp(hidden, 12, rng));
            AddModule("norm", new RmsNorm(hidden));
            if (extra) AddModule("lm_head", new Linear(hidden, 11, rng, bias: true));
        }
    }

    [Fact]
    public void SaveLoad_RoundTrip_RestoresEveryParameterExactly()
    {
        var a = new Net(new Rng(1));
        a.NamedParameters()[^1].Parameter.Value.Span.Fill(1.25f);
        string path = Path.Combine(_dir, "model.safetensors");
        a.Save(path);
        var b = new Net(new Rng(2));
        var result = b.Load(path);
        Assert.Empty(result.Missing);
        Assert.Empty(result.Unexpected);
        var pa = a.NamedParameters();
        var pb = b.NamedParameters();
        for (int i = 0; i < pa.Count; i++) Assert.Equal(pa[i].Parameter.Value.ToArray(), pb[i].Parameter.Value.ToArray());
    }

    [Fact]
    public void Save_File_HoldsHuggingFaceNamesAndFormatMetadata()
    {
        string path = Path.Combine(_dir, "m.safetensors");
        new Net(new Rng(1)).Save(path);
        using var f = Switchyard.Formats.SafeTensors.Open(path);
        Assert.Equal("pt", f.Metadata["format"]);
        Assert.Contains("mlp.gate_proj.weight", f.Names);
        Assert.Equal([12, 8], f.GetInfo("mlp.gate_proj.weight").Shape);
    }

    [Fact]
    public void Load_ShapeMismatch_ThrowsNamingTensorAndBothShapesAndLeavesModuleUnchanged()
    {
        string path = Path.Combine(_dir, "m.safetensors");
        new Net(new Rng(1), hidden: 8).Save(path);
        var b = new Net(new Rng(2), hidden: 4);
        float[] before = b.NamedParameters()[0].Parameter.Value.ToArray();
        var e = Assert.Throws<CheckpointMismatchException>(() => b.Load(path));
        Assert.Contains("'embed_tokens.weight' has shape [11, 8] in the file, the model expects [11, 4]", e.Message);
        Assert.Contains(e.ShapeMismatches, s => s.Contains("mlp.down_proj.weight"));
        Assert.Equal(before, b.NamedParameters()[0].Parameter.Value.ToArray());
    }

    [Fact]
    public void Load_MissingTensors_Strict_ThrowsNamingThem()
    {
        string path = Path.Combine(_dir, "m.safetensors");
        new Net(new Rng(1)).Save(path);
        var e = Assert.Throws<CheckpointMismatchException>(() => new Net(new Rng(1), extra: true).Load(path));
        Assert.Equal(["lm_head.weight", "lm_head.bias"], e.Missing);
        Assert.Contains("missing tensors: lm_head.weight, lm_head.bias", e.Message);
    }

    [Fact]
    public void Load_UnexpectedTensors_Strict_ThrowsNamingThem()
    {
        string path = Path.Combine(_dir, "m.safetensors");
        new Net(new Rng(1), extra: true).Save(path);
        var e = Assert.Throws<CheckpointMismatchException>(() => new Net(new Rng(1)).Load(path));
        Assert.Equal(["lm_head.weight", "lm_head.bias"], e.Unexpected.Order().Reverse());
    }

    [Fact]
    public void Load_NotStrict_ReportsMissingAndLoadsTheRest()
    {
        string path = Path.Combine(_dir, "m.safetensors");
        var a = new Net(new Rng(1));
        a.Save(path);
        var b = new Net(new Rng(2), extra: true);
        var r = b.Load(path, strict: false);
        Assert.Equal(["lm_head.weight", "lm_head.bias"], r.Missing);
        Assert.Empty(r.Unexpected);
        Assert.Equal(a.NamedParameters()[0].Parameter.Value.ToArray(), b.NamedParameters()[0].Parameter.Value.ToArray());
    }

    [Fact]
    public void Save_ExistingFile_IsReplacedWholly()
    {
        string path = Path.Combine(_dir, "m.safetensors");
        File.WriteAllText(path, "old");
        new Net(new Rng(1)).Save(path);
        new Net(new Rng(3)).Load(path);
        Assert.Equal([path], Directory.GetFiles(_dir)); // no temp file left behind
    }
}
