using Switchyard.Autograd;
using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;
using static Switchyard.Tests.Autograd.TapeGradCheck;

namespace Switchyard.Tests.Autograd;

/// <summary>
/// Tape-level float64 gradient checks of the ops built on the other kernel families (GEMM, row
/// ops, norms, attention) and of the GRU cell composition (see <see cref="TapeGradCheck"/>).
/// </summary>
public class TapeKernelOpGradientTests
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void MatMul_EachTransposeFlag_GradientMatchesFloat64(bool transA, bool transB)
    {
        const int m = 3, n = 5, k = 4;
        Shape sa = transA ? new(k, m) : new(m, k), sb = transB ? new(n, k) : new(k, n);
        Check([Random(sa, 1), Random(sb, 2)], (t, v) => t.MatMul(v[0], v[1], transA, transB), x =>
        {
            var c = new double[m * n];
            Gemm.Reference<double>(x[0], x[1], c, m, n, k, transA, transB, 0);
            return c;
        });
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Linear_Rank3Input_GradientMatchesFloat64(bool withBias)
    {
        const int rows = 6, inF = 5, outF = 4;
        Tensor[] inputs = withBias
            ? [Random(new Shape(2, 3, inF), 1), Random(new Shape(outF, inF), 2), Random(new Shape(outF), 3)]
            : [Random(new Shape(2, 3, inF), 1), Random(new Shape(outF, inF), 2)];
        Check(inputs, (t, v) => t.Linear(v[0], v[1], withBias ? v[2] : null), x => LinearRef(x[0], x[1], withBias ? x[2] : null, rows, inF, outF));
    }

    [Fact]
    public void Softmax_GradientMatchesFloat64() =>
        Check([Random(new Shape(3, 7), 1, -3, 3)], (t, v) => t.Softmax(v[0]), x =>
        {
            var y = new double[21];
            Softmax.ReferenceForward<double>(x[0], y, 3, 7);
            return y;
        });

    [Fact]
    public void LogSoftmax_GradientMatchesFloat64() =>
        Check([Random(new Shape(3, 7), 1, -3, 3)], (t, v) => t.LogSoftmax(v[0]), x =>
        {
            var y = new double[21];
            LogSoftmax.ReferenceForward<double>(x[0], y, 3, 7);
            return y;
        });

    [Fact]
    public void CrossEntropy_WithIgnoredRow_GradientMatchesFloat64()
    {
        int[] targets = [2, -1, 0, 6];
        Check([Random(new Shape(4, 7), 1, -3, 3)], (t, v) => t.CrossEntropy(v[0], targets), x =>
            [CrossEntropy.ReferenceForward<double>(x[0], targets, new double[28], 4, 7)]);
    }

    [Fact]
    public void RmsNorm_GradientMatchesFloat64() =>
        Check([Random(new Shape(3, 8), 1), Random(new Shape(8), 2, 0.5f, 1.5f)], (t, v) => t.RmsNorm(v[0], v[1], 1e-5f), x =>
        {
            var y = new double[24];
            RmsNorm.ReferenceForward<double>(x[0], x[1], y, new double[3], 3, 8, 1e-5);
            return y;
        });

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void LayerNorm_GradientMatchesFloat64(bool withBias)
    {
        Tensor[] inputs = withBias
            ? [Random(new Shape(3, 8), 1), Random(new Shape(8), 2, 0.5f, 1.5f), Random(new Shape(8), 3)]
            : [Random(new Shape(3, 8), 1), Random(new Shape(8), 2, 0.5f, 1.5f)];
        Check(inputs, (t, v) => t.LayerNorm(v[0], v[1], withBias ? v[2] : null, 1e-5f), x =>
        {
            var y = new double[24];
            LayerNorm.ReferenceForward<double>(x[0], x[1], withBias ? x[2] : default, y, new double[3], new double[3], 3, 8, 1e-5);
            return y;
        });
    }

    [Fact]
    public void Silu_GradientMatchesFloat64() => Unary(new Shape(3, 7), (t, x) => t.Silu(x), Silu.ReferenceForward<double>, -4, 4);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gelu_GradientMatchesFloat64(bool approximateTanh) =>
        Unary(new Shape(3, 7), (t, x) => t.Gelu(x, approximateTanh), (x, y) => Gelu.ReferenceForward<double>(x, y, approximateTanh), -3, 3);

    [Fact]
    public void SwiGlu_GradientMatchesFloat64() =>
        Check([Random(new Shape(3, 7), 1, -3, 3), Random(new Shape(3, 7), 2)], (t, v) => t.SwiGlu(v[0], v[1]), x =>
        {
            var y = new double[21];
            SwiGlu.ReferenceForward<double>(x[0], x[1], y);
            return y;
        });

    [Fact]
    public void Rope_Rank4_GradientMatchesFloat64()
    {
        // [batch 2, seq 3, heads 2, headDim 4]: 6 tokens
        int[] positions = [0, 1, 2, 0, 1, 5];
        Check([Random(new Shape(2, 3, 2, 4), 1)], (t, v) => t.Rope(v[0], positions, 10000f), x =>
        {
            var y = new double[48];
            Rope.ReferenceForward<double>(x[0], y, positions, 6, 2, 4, 10000);
            return y;
        });
    }

    [Fact]
    public void CausalAttention_GroupedQuery_GradientMatchesFloat64()
    {
        const int b = 2, s = 5, qh = 4, kvh = 2, d = 4;
        float scale = 0.5f;
        Check([Random(new Shape(b, s, qh, d), 1), Random(new Shape(b, s, kvh, d), 2), Random(new Shape(b, s, kvh, d), 3)],
            (t, v) => t.CausalAttention(v[0], v[1], v[2]), x =>
            {
                var o = new double[b * s * qh * d];
                CausalAttention.ReferenceForward<double>(x[0], x[1], x[2], o, new double[b * qh * s], b, s, qh, kvh, d, scale);
                return o;
            });
    }

    [Fact]
    public void GruCell_Composition_GradientMatchesFloat64()
    {
        const int batch = 2, inF = 3, hid = 4;
        Check([Random(new Shape(batch, inF), 1), Random(new Shape(batch, hid), 2), Random(new Shape(3 * hid, inF), 3),
               Random(new Shape(3 * hid, hid), 4), Random(new Shape(3 * hid), 5), Random(new Shape(3 * hid), 6)],
            (t, v) => t.GruCell(v[0], v[1], v[2], v[3], v[4], v[5]), x =>
            {
                // PyTorch GRUCell, composed from the double references.
                double[] gi = LinearRef(x[0], x[2], x[4], batch, inF, 3 * hid), gh = LinearRef(x[1], x[3], x[5], batch, hid, 3 * hid);
                var hNew = new double[batch * hid];
                var one = new double[1];
                for (int r = 0; r < batch; r++)
                    for (int j = 0; j < hid; j++)
                    {
                        int o = r * 3 * hid + j;
                        Sigmoid.ReferenceForward<double>([gi[o] + gh[o]], one);
                        double rg = one[0];
                        Sigmoid.ReferenceForward<double>([gi[o + hid] + gh[o + hid]], one);
                        double z = one[0];
                        Tanh.ReferenceForward<double>([gi[o + 2 * hid] + rg * gh[o + 2 * hid]], one);
                        double n = one[0];
                        hNew[r * hid + j] = (1 - z) * n + z * x[1][r * hid + j];
                    }
                return hNew;
            });
    }

    [Fact]
    public void IndexSelect_RepeatedIndices_GradientMatchesFloat64()
    {
        int[] idx = [3, 0, 3, 1, 3];
        Check([Random(new Shape(4, 5), 1)], (t, v) => t.IndexSelect(v[0], idx), x =>
        {
            var y = new double[idx.Length * 5];
            IndexSelect.ReferenceForward<double>(x[0], idx, y, 5);
            return y;
        });
    }

    [Fact]
    public void Embedding_GradientMatchesFloat64()
    {
        int[] ids = [2, 2, 0];
        Check([Random(new Shape(3, 4), 1)], (t, v) => t.Embedding(v[0], ids), x =>
        {
            var y = new double[12];
            IndexSelect.ReferenceForward<double>(x[0], ids, y, 4);
            return y;
        });
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ScatterAdd_CollidingRows_GradientMatchesFloat64(bool withWeights)
    {
        int[] idx = [1, 0, 1, 1, 2];
        Tensor[] inputs = withWeights ? [Random(new Shape(5, 3), 1), Random(new Shape(5), 2)] : [Random(new Shape(5, 3), 1)];
        Check(inputs, (t, v) => t.ScatterAdd(v[0], idx, withWeights ? v[1] : null, 4), x =>
        {
            var y = new double[12];
            ScatterAdd.ReferenceForward<double>(x[0], idx, withWeights ? x[1] : default, y, 3);
            return y;
        });
    }

    [Fact]
    public void TopK_Rows_ReturnsDescendingIndicesWithoutRecording()
    {
        var tape = new Tape(4096);
        Var x = tape.Variable(new Tensor([0.1f, 0.9f, 0.5f, 0.9f, 3f, 2f, 1f, 0f], new Shape(2, 4)));
        ReadOnlyMemory<int> idx = tape.TopK(x, 2);
        Assert.Equal([1, 3, 0, 1], idx.ToArray());
        Assert.Equal(0, tape.NodeCount);
    }

    [Fact]
    public void MatMul_InnerDimensionsDiffer_ThrowsNamingShapes()
    {
        var tape = new Tape(4096);
        var e = Assert.Throws<ShapeMismatchException>(() =>
            tape.MatMul(tape.Constant(new Tensor(new Shape(2, 3))), tape.Constant(new Tensor(new Shape(4, 5)))));
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[4, 5]", e.Message);
        Assert.Throws<ShapeMismatchException>(() =>
            tape.Linear(tape.Constant(new Tensor(new Shape(2, 3))), tape.Constant(new Tensor(new Shape(4, 5)))));
    }

    static double[] LinearRef(double[] x, double[] w, double[]? b, int rows, int inF, int outF)
    {
        var y = new double[rows * outF];
        Gemm.Reference<double>(x, w, y, rows, outF, inF, false, true, 0);
        if (b is not null)
            for (int r = 0; r < rows; r++)
                for (int j = 0; j < outF; j++) y[r * outF + j] += b[j];
        return y;
    }
}
