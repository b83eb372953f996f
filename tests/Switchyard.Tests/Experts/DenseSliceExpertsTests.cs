using Switchyard.Autograd;
using Switchyard.Experts;
using Switchyard.Routing;
using Switchyard.Tensors;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Experts;

public sealed class SliceExpertsTests
{
    const int D = 7, E = 4, W = 3, Items = 5;

    static RoutingPlan Plan(int[][] choice)
    {
        var plan = new RoutingPlan();
        plan.Begin(choice.Length, E);
        for (int i = 0; i < choice.Length; i++) foreach (int e in choice[i]) plan.Add(i, e, 1f);
        plan.Finish();
        return plan;
    }

    [Fact]
    public void Forward_AllSlicesOnUnitGates_EqualsTheDenseMlp()
    {
        // Given slice experts and the dense SwiGLU MLP of their weights
        var experts = new DenseSliceExperts(D, E, W, new Rng(1), initStd: 0.5f);
        var plan = Plan([.. Enumerable.Range(0, Items).Select(_ => new[] { 0, 1, 2, 3 })]);
        var x = new Tensor(new Shape(Items, D));
        new Rng(2).FillNormal(x.Span);
        var tape = new Tape(1 << 14);

        // When every token goes to every slice with gate 1
        Var rows = tape.IndexSelect(tape.Constant(x), plan.Item);
        Var ones = tape.Constant(Ones(plan.Count));
        float[] y = MoeCombine.Apply(tape, experts.Forward(tape, rows, plan), ones, plan, null, null).Value.ToArray();
        Var dense = tape.Linear(tape.SwiGlu(tape.Linear(tape.Constant(x), tape.Constant(experts.GateProj.Weight.Value)),
            tape.Linear(tape.Constant(x), tape.Constant(experts.UpProj.Weight.Value))), tape.Constant(experts.DownProj.Weight.Value));

        // Then the sum over slices is the dense MLP
        float[] expected = dense.Value.ToArray();
        Assert.True(expected.Zip(y).Max(p => Math.Abs(p.First - p.Second)) < 1e-5f);
    }

    [Fact]
    public void Backward_MatchesFloat64CentralDifferences()
    {
        // Given a plan in which slice 2 gets no rows, and a random upstream gradient
        var experts = new DenseSliceExperts(D, E, W, new Rng(3), initStd: 0.5f);
        var plan = Plan([[0, 1], [3], [1, 3], [0], [3, 0]]);
        var rng = new Rng(4);
        var rows = new Tensor(new Shape(plan.Count, D));
        rng.FillNormal(rows.Span);
        double[] w = Rand.Doubles(rng, plan.Count * D);
        var tape = new Tape(1 << 14);
        Var x = tape.Variable(rows);
        Var y = experts.Forward(tape, x, plan);
        Var loss = tape.Sum(tape.Mul(y, tape.Constant(Tensor(Rand.ToFloat(w), y.Shape))));
        experts.ZeroGrad();
        tape.Backward(loss);

        // Then each gradient matches central differences of the double reference
        double[] xs = Rand.ToDouble(rows.Span), g = Rand.ToDouble(experts.GateProj.Weight.Value.Span),
            u = Rand.ToDouble(experts.UpProj.Weight.Value.Span), dn = Rand.ToDouble(experts.DownProj.Weight.Value.Span);
        double Loss(double[] xx, double[] gg, double[] uu, double[] dd) => GradCheck.Dot(w, Reference(plan, xx, gg, uu, dd));
        GradCheck.AssertClose(GradCheck.Numeric(v => Loss(v, g, u, dn), xs), Rand.ToDouble(x.Grad.Span), 1e-4, "d rows");
        GradCheck.AssertClose(GradCheck.Numeric(v => Loss(xs, v, u, dn), g), Rand.ToDouble(experts.GateProj.Weight.Grad.Span), 1e-4, "d gate_proj");
        GradCheck.AssertClose(GradCheck.Numeric(v => Loss(xs, g, v, dn), u), Rand.ToDouble(experts.UpProj.Weight.Grad.Span), 1e-4, "d up_proj");
        GradCheck.AssertClose(GradCheck.Numeric(v => Loss(xs, g, u, v), dn), Rand.ToDouble(experts.DownProj.Weight.Grad.Span), 1e-4, "d down_proj");

        // And the unselected slice's weights got exactly no gradient (it was never run)
        Assert.All(experts.GateProj.Weight.Grad.Span.Slice(2 * W * D, W * D).ToArray(), v => Assert.Equal(0f, v));
        for (int r = 0; r < D; r++) Assert.All(experts.DownProj.Weight.Grad.Span.Slice(r * E * W + 2 * W, W).ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Flops_FollowTheSlicesRun()
    {
        var experts = new DenseSliceExperts(D, E, W, new Rng(1));
        Assert.Equal(2L * 3 * D * W, experts.FlopsPerRow(0));
        Assert.Equal(3L * D * W, experts.ParametersPerRow(3));
    }

    [Fact]
    public void NamedParameters_AreTheDenseMlpsNames()
    {
        var names = new DenseSliceExperts(D, E, W, new Rng(1)).NamedParameters().Select(p => (p.Name, p.Parameter.Shape)).ToArray();
        Assert.Equal([("gate_proj.weight", new Shape(E * W, D)), ("up_proj.weight", new Shape(E * W, D)), ("down_proj.weight", new Shape(D, E * W))], names);
    }

    // y_j = slice plan.Expert[j] of the dense MLP applied to row j, in double.
    static double[] Reference(RoutingPlan plan, double[] x, double[] gate, double[] up, double[] down)
    {
        var y = new double[plan.Count * D];
        for (int j = 0; j < plan.Count; j++)
        {
            int e = plan.Expert[j];
            var h = new double[W];
            for (int f = 0; f < W; f++)
            {
                double gg = 0, uu = 0;
                for (int c = 0; c < D; c++) { gg += gate[(e * W + f) * D + c] * x[j * D + c]; uu += up[(e * W + f) * D + c] * x[j * D + c]; }
                h[f] = gg / (1 + Math.Exp(-gg)) * uu;
            }
            for (int c = 0; c < D; c++)
                for (int f = 0; f < W; f++) y[j * D + c] += down[c * E * W + e * W + f] * h[f];
        }
        return y;
    }

    static Tensor Ones(int n)
    {
        var t = new Tensor(new Shape(n));
        t.Span.Fill(1f);
        return t;
    }

    static Tensor Tensor(float[] values, Shape shape)
    {
        var t = new Tensor(shape);
        values.CopyTo(t.Span);
        return t;
    }
}
