using Switchyard.Autograd;
using Switchyard.Nn;
using Switchyard.Tensors;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Nn;

/// <summary>
/// Checks a module on the tape against a double reference: the forward output, and the
/// gradient of loss = Σ w·y (random w) with respect to every trainable parameter and the
/// input, against float64 central differences of the reference.
/// </summary>
internal static class ModuleGradCheck
{
    /// <summary>Name of the input in the reference's dictionary.</summary>
    public const string Input = "input";

    /// <param name="module">The module under test.</param>
    /// <param name="input">Input values and shape, or null for modules without a float input.</param>
    /// <param name="forward">Runs the module; the Var is the input (null when there is none).</param>
    /// <param name="reference">Output in double from parameters (by full name) and <see cref="Input"/>.</param>
    public static void Check(Module module, Tensor? input, Func<Tape, Var?, Var> forward,
        Func<IReadOnlyDictionary<string, double[]>, double[]> reference, double forwardTolerance = 1e-5, double gradTolerance = 2e-4)
    {
        // Given
        var named = module.NamedParameters();
        var values = new Dictionary<string, double[]>();
        foreach (var (name, p) in named) values[name] = Rand.ToDouble(p.Value.Span);
        if (input is not null) values[Input] = Rand.ToDouble(input.Span);
        double[] expectedY = reference(values);
        double[] w = Rand.Doubles(new Rng(99), expectedY.Length);

        // When
        module.ZeroGrad();
        var tape = new Tape(1 << 14);
        Var? x = input is null ? null : tape.Variable(input);
        Var y = forward(tape, x);
        var loss = tape.Sum(tape.Mul(y, tape.Constant(new Tensor(Rand.ToFloat(w), y.Shape))));
        tape.Backward(loss);

        // Then: forward
        GradCheck.AssertClose(expectedY, Rand.ToDouble(y.Value.Span), forwardTolerance, "output");
        // and every gradient
        foreach (var (name, p) in named)
        {
            if (!p.Trainable) continue;
            double[] numeric = GradCheck.Numeric(v => { values[name] = v; return GradCheck.Dot(w, reference(values)); }, values[name]);
            GradCheck.AssertClose(numeric, Rand.ToDouble(p.Grad.Span), gradTolerance, $"d/d {name}");
        }
        if (x is not null)
        {
            double[] numeric = GradCheck.Numeric(v => { values[Input] = v; return GradCheck.Dot(w, reference(values)); }, values[Input]);
            GradCheck.AssertClose(numeric, Rand.ToDouble(x.Grad.Span), gradTolerance, "d/d input");
        }
        tape.Reset();
    }
}
