using Switchyard.Autograd;
using Switchyard.Tensors;

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
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++) Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
