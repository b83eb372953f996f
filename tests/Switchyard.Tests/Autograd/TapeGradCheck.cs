using Switchyard.Autograd;
using Switchyard.Tensors;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Autograd;

/// <summary>A double-precision definition of an op's output from its inputs, flattened row-major.</summary>
internal delegate double[] DoubleOp(double[][] inputs);

/// <summary>A unary double-precision reference (e.g. <c>Sigmoid.ReferenceForward&lt;double&gt;</c>).</summary>
internal delegate void SpanMap(ReadOnlySpan<double> x, Span<double> y);

/// <summary>
/// The tape-level half of the project promise "every differentiable op has a float64
/// central-difference gradient check". Gradient checks run on two levels:
/// <list type="number">
/// <item><b>Kernel level</b> (tests/…/Tensors/Kernels): each kernel's
/// <c>ReferenceBackward&lt;double&gt;</c> against <see cref="GradCheck.Numeric"/> of its
/// <c>ReferenceForward&lt;double&gt;</c>, tolerance ~1e-6; the float32 kernels are tested against
/// the double reference separately. Each kernel owner tests their own kernels.</item>
/// <item><b>Tape level</b> (this helper): for every tape op, a tiny random graph
/// <c>loss = Σ w ∘ op(inputs)</c> is recorded on a float32 <see cref="Tape"/> with every
/// differentiable input as a <see cref="Tape.Leaf"/>; after <see cref="Tape.Backward"/> each
/// leaf's float32 gradient is compared with the float64 central-difference gradient of
/// <c>Σ w ∘ f(inputs)</c>, where <c>f</c> evaluates the same op in double with the kernels'
/// double references (for compositions such as the GRU cell, a composition of them).
/// Tolerance is relative, ~1e-3 (float32 rounding through a few kernels). This catches wiring
/// errors the kernel checks cannot: wrong saved tensor, transposed flag, missing accumulation,
/// a gradient sent to the wrong input.</item>
/// </list>
/// The helper also checks the float32 forward against the double definition, and runs the step
/// a second time after <see cref="Tape.Reset"/> without zeroing the leaf gradients (they must
/// double: leaf gradients accumulate) and a third time from zeroed gradients (they must equal
/// the first bit for bit: the tape is deterministic and reusable).
/// Adding an op's check is a few lines: shapes or inputs, a lambda recording the op, and a
/// lambda evaluating it in double. docs/autograd.md lists op → test.
/// </summary>
internal static class TapeGradCheck
{
    /// <summary>Uniform random tensor in [low, high) from a fixed seed.</summary>
    public static Tensor Random(Shape shape, ulong seed, float low = -1f, float high = 1f)
    {
        var t = new Tensor(shape);
        new Rng(seed).FillUniform(t.Span, low, high);
        return t;
    }

    /// <summary>Checks a unary elementwise op on random inputs in [low, high).</summary>
    public static void Unary(Shape shape, Func<Tape, Var, Var> op, SpanMap reference, float low = -2f, float high = 2f, double tolerance = 1e-3)
    {
        Check([Random(shape, 3, low, high)], (t, v) => op(t, v[0]), x =>
        {
            var y = new double[x[0].Length];
            reference(x[0], y);
            return y;
        }, tolerance);
    }

    /// <summary>
    /// Records <paramref name="build"/> on a float32 tape over <paramref name="inputs"/> (leaves,
    /// except those marked false in <paramref name="differentiable"/>, which are constants), back-propagates
    /// <c>Σ w ∘ output</c> for a random w, and compares every leaf gradient with float64 central
    /// differences of <paramref name="reference"/>.
    /// </summary>
    public static void Check(Tensor[] inputs, Func<Tape, Var[], Var> build, DoubleOp reference,
        double tolerance = 1e-3, bool[]? differentiable = null, double h = 1e-5)
    {
        int n = inputs.Length;
        var grads = new Tensor[n];
        for (int i = 0; i < n; i++) grads[i] = new Tensor(inputs[i].Shape);
        var tape = new Tape(minSlabFloats: 4096);

        // Given a float32 tape step
        float[] w = [];
        Var y = Step();
        Var Step()
        {
            var vars = new Var[n];
            for (int i = 0; i < n; i++)
                vars[i] = differentiable is null || differentiable[i] ? tape.Leaf(inputs[i], grads[i]) : tape.Constant(inputs[i]);
            Var output = build(tape, vars);
            if (w.Length == 0) w = Rand.Floats(new Rng(99), output.Shape.Size);
            Var loss = tape.Sum(tape.Mul(tape.Constant(new Tensor(w, output.Shape)), output));
            tape.Backward(loss);
            return output;
        }

        // Then the forward matches the double definition
        double[][] xs = new double[n][];
        for (int i = 0; i < n; i++) xs[i] = Rand.ToDouble(inputs[i].Span);
        double[] expected = reference(xs);
        GradCheck.AssertClose(expected, Rand.ToDouble(y.Value.Span), tolerance, "forward");

        // And each leaf gradient matches float64 central differences of Σ w ∘ f
        double[] wd = Rand.ToDouble(w);
        var first = new float[n][];
        for (int i = 0; i < n; i++)
        {
            first[i] = grads[i].ToArray();
            if (differentiable is not null && !differentiable[i]) continue;
            int k = i;
            double[] numeric = GradCheck.Numeric(v => { xs[k] = v; return GradCheck.Dot(wd, reference(xs)); }, xs[k], h);
            GradCheck.AssertClose(numeric, Rand.ToDouble(grads[i].Span), tolerance, $"gradient of input {i}");
        }

        // And a second step on the reset tape adds the same gradients again (leaf gradients accumulate)
        tape.Reset();
        Step();
        for (int i = 0; i < n; i++)
            for (int j = 0; j < first[i].Length; j++)
                if (Math.Abs(grads[i][j] - 2 * first[i][j]) > 1e-5 * (1 + Math.Abs(2 * first[i][j])))
                    Assert.Fail($"input {i}[{j}]: after two steps {grads[i][j]:R}, expected twice {first[i][j]:R}");

        // And a third step from zeroed gradients reproduces the first bit for bit (deterministic, reusable tape)
        tape.Reset();
        foreach (Tensor g in grads) g.Span.Clear();
        Step();
        for (int i = 0; i < n; i++) Assert.Equal(first[i], grads[i].ToArray());
    }
}
