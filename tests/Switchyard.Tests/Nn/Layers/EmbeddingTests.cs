using Switchyard.Autograd;
using Switchyard.Nn.Layers;
using Switchyard.Tensors;

namespace Switchyard.Tests.Nn.Layers;

public class EmbeddingTests
{
    [Fact]
    public void Forward_RepeatedIds_GathersRowsAndScatterAddsGradients()
    {
        var rng = new Rng(9);
        const int vocab = 7, dim = 5;
        var emb = new Embedding(vocab, dim, rng, initStd: 1f);
        int[] ids = [3, 0, 3, 6];
        // The gradient of Σ w·y with respect to row r is the sum of w's rows where ids = r.
        ModuleGradCheck.Check(emb, null, (tape, _) => emb.Forward(tape, ids), p =>
        {
            var y = new double[ids.Length * dim];
            for (int i = 0; i < ids.Length; i++)
                for (int d = 0; d < dim; d++) y[i * dim + d] = p["weight"][ids[i] * dim + d];
            return y;
        });
    }

    [Fact]
    public void Forward_IdOutsideVocabulary_ThrowsNamingIt()
    {
        var emb = new Embedding(4, 2, new Rng(1));
        var tape = new Tape(1024);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => emb.Forward(tape, [1, 4]));
        Assert.Contains("[0, 4)", e.Message);
    }

    [Fact]
    public void Constructor_Table_IsNamedWeightWithShapeVocabByDim()
    {
        var emb = new Embedding(10, 3, new Rng(1));
        var (name, p) = Assert.Single(emb.NamedParameters());
        Assert.Equal("weight", name);
        Assert.Equal(new Shape(10, 3), p.Shape);
        Assert.True(p.WeightDecay);
    }
}
