using Switchyard.Autograd;
using Switchyard.Experts;
using Switchyard.Routing;
using Switchyard.Tensors;
using Switchyard.Tests.Autograd;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Experts;

public class HeterogeneousExpertsTests
{
    const int D = 6, Big = 10, Small = 3;

    static HeterogeneousExperts Build(ulong seed = 1) => new(
        ("big", new SwiGluExperts(D, 1, Big, new Rng(seed), initStd: 0.5f)),
        ("small", new SwiGluExperts(D, 1, Small, new Rng(seed + 1), initStd: 0.5f)));

    // A finished plan: item i → expert[i] (one each).
    static RoutingPlan Plan(int[] expert, int experts = 2)
    {
        var plan = new RoutingPlan();
        plan.Begin(expert.Length, experts);
        for (int i = 0; i < expert.Length; i++) plan.Add(i, expert[i], 1f);
        plan.Finish();
        plan.SetWeights(Enumerable.Repeat(1f, plan.Count).ToArray());
        return plan;
    }

    // y = W_down·(silu(W_gate·x) ∘ (W_up·x)) of one SwiGLU expert, in double.
    static double[] SwiGlu(SwiGluExperts e, ReadOnlySpan<double> x)
    {
        int f = e.Width;
        float[] gu = e.GateUp.ToArray(), down = e.Down.ToArray();
        var h = new double[f];
        for (int j = 0; j < f; j++)
        {
            double g = 0, u = 0;
            for (int c = 0; c < D; c++) { g += gu[j * D + c] * x[c]; u += gu[(f + j) * D + c] * x[c]; }
            h[j] = g / (1 + Math.Exp(-g)) * u;
        }
        var y = new double[D];
        for (int c = 0; c < D; c++)
            for (int j = 0; j < f; j++) y[c] += down[c * f + j] * h[j];
        return y;
    }

    [Fact]
    public void Forward_EachRowGoesThroughItsOwnKind_AndMatchesFloat64WithGradients()
    {
        // Given rows grouped by expert: three big, two small
        HeterogeneousExperts experts = Build();
        RoutingPlan plan = Plan([1, 0, 0, 1, 0]);
        int[] kind = [.. plan.Expert.ToArray()];
        Tensor rows = TapeGradCheck.Random(new Shape(plan.Count, D), 5);

        // Then every row is its own kind's SwiGLU, and the row gradient matches central differences
        TapeGradCheck.Check([rows], (tape, v) => experts.Forward(tape, v[0], plan), x =>
        {
            var y = new List<double>();
            for (int j = 0; j < kind.Length; j++)
                y.AddRange(SwiGlu((SwiGluExperts)experts.Parts[kind[j]], x[0].AsSpan(j * D, D)));
            return [.. y];
        });
    }

    [Fact]
    public void Forward_PartWithoutRows_IsNotCalled()
    {
        var big = new CountingExperts(1);
        var small = new CountingExperts(1);
        var experts = new HeterogeneousExperts(("big", big), ("small", small));
        var tape = new Tape(4096);
        RoutingPlan plan = Plan([1, 1, 1]);
        Var y = experts.Forward(tape, tape.Constant(new Tensor(new Shape(3, D))), plan);
        Assert.Equal(0, big.Calls);
        Assert.Equal((1, 3), (small.Calls, small.Rows));
        Assert.Equal(new Shape(3, D), y.Shape);
    }

    [Fact]
    public void FlopsAndParametersPerRow_ArePerKind_AndNamesCarryTheKind()
    {
        HeterogeneousExperts experts = Build();
        Assert.Equal(2L * 3 * D * Big, experts.FlopsPerRow(0));
        Assert.Equal(2L * 3 * D * Small, experts.FlopsPerRow(1));
        Assert.Equal(3L * D * Small, experts.ParametersPerRow(1));
        Assert.Equal((1, 0), experts.Locate(1));
        Assert.Contains("big.0.gate_proj.weight", experts.NamedParameters().Select(p => p.Name));
        Assert.Contains("small.0.down_proj.weight", experts.NamedParameters().Select(p => p.Name));
        Assert.Throws<ArgumentOutOfRangeException>(() => experts.FlopsPerRow(2));
    }

    [Fact]
    public void Constructor_BadParts_Throw()
    {
        Assert.Throws<ArgumentException>(() => new HeterogeneousExperts());
        Assert.Throws<ArgumentException>(() => new HeterogeneousExperts(("a", new CountingExperts(1)), ("a", new CountingExperts(1))));
        Assert.Throws<ArgumentException>(() => new HeterogeneousExperts(("a", new CountingExperts(1)), ("b", new SwiGluExperts(D + 1, 1, 2, new Rng(1)))));
    }

    // Returns zeros and counts what it was asked to compute.
    sealed class CountingExperts(int experts) : IExpertSet
    {
        public int Calls { get; private set; }
        public int Rows { get; private set; }
        public int Experts => experts;
        public int ModelDim => D;
        public long FlopsPerRow(int expert) => 1;
        public long ParametersPerRow(int expert) => 1;

        public Var Forward(Tape tape, Var rows, RoutingPlan plan)
        {
            Calls++;
            Rows += plan.Count;
            return tape.NewVar(rows.Shape, requiresGrad: false, zero: true);
        }
    }
}
