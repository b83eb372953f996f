using Switchyard.Autograd;
using Switchyard.Tensors;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Autograd;

public class TapeAllocationTests
{
    [Fact]
    public void Step_ElementwiseGraph_SteadyStateAllocatesNothing()
    {
        // Given parameters owned outside the tape, as an Nn module would own them
        Tensor x = TapeGradCheck.Random(new Shape(8, 12), 1), w = TapeGradCheck.Random(new Shape(8, 12), 2), b = TapeGradCheck.Random(new Shape(12), 3);
        Tensor gw = new(w.Shape), gb = new(b.Shape);
        var tape = new Tape(minSlabFloats: 1 << 14);
        var parts = new Var[3];

        void Step()
        {
            Var h = tape.Add(tape.Mul(tape.Constant(x), tape.Leaf(w, gw)), tape.Leaf(b, gb));
            tape.Split(tape.Sigmoid(h), parts);
            Var y = tape.Concat(tape.Tanh(parts[0]), parts[2], tape.Clamp(parts[1], -0.5f, 0.5f));
            Var z = tape.Transpose(tape.Reshape(tape.Exp(y), new Shape(12, 8)));
            Var loss = tape.Add(tape.Mean(tape.MeanLastAxis(z)), tape.Sum(tape.Slice(tape.Log(tape.Exp(y)), 1, 2)));
            tape.Backward(loss);
            using (tape.NoGrad()) tape.Sigmoid(tape.Leaf(w, gw));
            tape.Reset();
        }

        Step(); Step(); // warm-up sizes the arena and the pools
        Assert.Equal(0, SteadyAllocation.Bytes(() =>
        {
            for (int i = 0; i < 5; i++) Step();
        }, repeats: 1));
    }

    [Fact]
    public void Step_TransformerAndRoutingOps_SteadyStateAllocatesNothing()
    {
        // Given a tiny decoder block, a weighted scatter (MoE combine) and a GRU cell, all on leaves
        const int batch = 2, seq = 4, dim = 8, heads = 2, kvHeads = 1, headDim = 4, vocab = 11;
        int tokens = batch * seq;
        Tensor P(Shape s, ulong seed) => TapeGradCheck.Random(s, seed, -0.5f, 0.5f);
        Tensor emb = P(new Shape(vocab, dim), 1), norm = P(new Shape(dim), 2), wq = P(new Shape(heads * headDim, dim), 3),
            wkv = P(new Shape(2 * kvHeads * headDim, dim), 4), wo = P(new Shape(dim, heads * headDim), 5),
            wGate = P(new Shape(dim, dim), 6), wUp = P(new Shape(dim, dim), 7), gates = P(new Shape(tokens), 8),
            wIh = P(new Shape(3 * dim, dim), 9), wHh = P(new Shape(3 * dim, dim), 10), h0 = P(new Shape(tokens, dim), 11);
        Tensor[] ps = [emb, norm, wq, wkv, wo, wGate, wUp, gates, wIh, wHh];
        var grads = new Tensor[ps.Length];
        for (int i = 0; i < ps.Length; i++) grads[i] = new Tensor(ps[i].Shape);
        int[] ids = [1, 5, 7, 2, 9, 0, 3, 3], positions = [0, 1, 2, 3, 0, 1, 2, 3], order = [7, 6, 5, 4, 3, 2, 1, 0];
        var tape = new Tape(minSlabFloats: 1 << 14);

        void Step()
        {
            Var L(int i) => tape.Leaf(ps[i], grads[i]);
            Var x = tape.Embedding(L(0), ids);
            Var hn = tape.RmsNorm(x, L(1), 1e-5f);
            Var q = tape.Rope(tape.Reshape(tape.Linear(hn, L(2)), new Shape(batch, seq, heads, headDim)), positions, 10000f);
            Var kv = tape.Linear(hn, L(3));
            Var k = tape.Rope(tape.Reshape(tape.Slice(kv, 0, headDim), new Shape(batch, seq, kvHeads, headDim)), positions, 10000f);
            Var v = tape.Reshape(tape.Slice(kv, headDim, headDim), new Shape(batch, seq, kvHeads, headDim));
            Var att = tape.Reshape(tape.CausalAttention(q, k, v), new Shape(tokens, heads * headDim));
            x = tape.Add(x, tape.Linear(att, L(4)));
            Var mlp = tape.SwiGlu(tape.Linear(x, L(5)), tape.Linear(x, L(6)));
            x = tape.Add(x, tape.ScatterAdd(mlp, order, tape.Sigmoid(L(7)), tokens));
            x = tape.GruCell(x, tape.Constant(h0), L(8), L(9));
            Var loss = tape.CrossEntropy(tape.MatMul(x, L(0), transB: true), ids);
            tape.Backward(loss);
            tape.Reset();
        }

        Step(); Step();
        Assert.Equal(0, SteadyAllocation.Bytes(() =>
        {
            for (int i = 0; i < 3; i++) Step();
        }, repeats: 1));
    }
}
