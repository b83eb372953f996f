using Switchyard.Autograd;
using Switchyard.Tensors;

namespace Switchyard.Tests.Autograd;

public class TapeTrainingTests
{
    sealed class Param(Shape shape, Rng rng, float std)
    {
        public readonly Tensor Value = Init(shape, rng, std);
        public readonly Tensor Grad = new(shape);

        static Tensor Init(Shape shape, Rng rng, float std)
        {
            var t = new Tensor(shape);
            if (std > 0) rng.FillNormal(t.Span, std);
            return t;
        }

        public Var On(Tape tape) => tape.Leaf(Value, Grad);

        public void SgdStep(float lr)
        {
            Span<float> v = Value.Span, g = Grad.Span;
            for (int i = 0; i < v.Length; i++) v[i] -= lr * g[i];
            g.Clear();
        }
    }

    [Fact]
    public void Mlp_SyntheticRegression_LossDropsTenfold()
    {
        // Given y = sin(2·x0) + x1·x2 − 0.5·x3 on 64 random points, and a 4→32→1 tanh MLP
        const int n = 64, inF = 4, hid = 32;
        var rng = new Rng(2024);
        var x = new Tensor(new Shape(n, inF));
        rng.FillUniform(x.Span, -1f, 1f);
        var y = new Tensor(new Shape(n, 1));
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<float> r = x.Row(i);
            y[i] = MathF.Sin(2 * r[0]) + r[1] * r[2] - 0.5f * r[3];
        }
        Param w1 = new(new Shape(hid, inF), rng, 0.5f), b1 = new(new Shape(hid), rng, 0f);
        Param w2 = new(new Shape(1, hid), rng, 0.2f), b2 = new(new Shape(1), rng, 0f);
        var tape = new Tape(1 << 14);

        float Step()
        {
            Var h = tape.Tanh(tape.Linear(tape.Constant(x), w1.On(tape), b1.On(tape)));
            Var pred = tape.Linear(h, w2.On(tape), b2.On(tape));
            Var err = tape.Sub(pred, tape.Constant(y));
            Var loss = tape.Mean(tape.Mul(err, err));
            float value = loss.Value[0];
            tape.Backward(loss);
            tape.Reset();
            foreach (Param p in (Param[])[w1, b1, w2, b2]) p.SgdStep(0.2f);
            return value;
        }

        // When trained with plain SGD
        float first = Step(), last = first;
        for (int i = 0; i < 600; i++) last = Step();

        // Then the loss falls by more than 10×
        Assert.True(last < first / 10, $"loss went from {first} to {last}");
    }

    [Fact]
    public void Mlp_Classification_SteadyStateStepAllocatesNothing()
    {
        // Given Linear → SiLU → Linear → CrossEntropy with leaf parameters, as the Nn layer builds it
        const int n = 16, inF = 8, hid = 12, classes = 5;
        var rng = new Rng(7);
        var x = new Tensor(new Shape(n, inF));
        rng.FillUniform(x.Span, -1f, 1f);
        var targets = new int[n];
        for (int i = 0; i < n; i++) targets[i] = i % classes;
        Param w1 = new(new Shape(hid, inF), rng, 0.3f), b1 = new(new Shape(hid), rng, 0.1f);
        Param w2 = new(new Shape(classes, hid), rng, 0.3f), norm = new(new Shape(hid), rng, 0f);
        norm.Value.Span.Fill(1f);
        var tape = new Tape(1 << 14);
        float loss0 = 0, loss = 0;

        void Step()
        {
            Var h = tape.Silu(tape.Linear(tape.Constant(x), w1.On(tape), b1.On(tape)));
            h = tape.RmsNorm(h, norm.On(tape), 1e-5f);
            Var l = tape.CrossEntropy(tape.Linear(h, w2.On(tape)), targets);
            loss = l.Value[0];
            tape.Backward(l);
            tape.Reset();
            w1.SgdStep(0.1f); b1.SgdStep(0.1f); w2.SgdStep(0.1f); norm.SgdStep(0.1f);
        }

        Step();
        loss0 = loss;
        Step(); // warm-up: arena slabs, Var/node pools, kernel per-thread buffers
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++) Step();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.True(loss < loss0, $"loss {loss0} → {loss}");
    }
}
