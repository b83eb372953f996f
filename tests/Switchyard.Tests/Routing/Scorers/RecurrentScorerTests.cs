using Switchyard.Autograd;
using Switchyard.Routing;
using Switchyard.Routing.Catalog;
using Switchyard.Routing.Scorers;
using Switchyard.Tensors;
using Switchyard.Tests.Autograd;

namespace Switchyard.Tests.Routing.Scorers;

public sealed class RecurrentScorerTests
{
    [Fact]
    public void Score_WithState_SecondLayerDependsOnTheFirstLayersHidden()
    {
        // Given two layers' recurrent routers and a shared state, as the model threads it
        var rng = new Rng(3);
        var first = new RecurrentScorer(6, 4, 5, rng, initStd: 0.5f);
        var second = new RecurrentScorer(6, 4, 5, rng, initStd: 0.5f);
        var x = new Tensor(new Shape(7, 6));
        rng.FillNormal(x.Span);
        var tape = new Tape(4096);
        var context = new RoutingContext(new Rng(1)) { State = new RouterState() };

        // When layer 0 then layer 1 score, and layer 1 scores again from a fresh state
        first.Score(tape, tape.Constant(x), context);
        Var hidden = context.State.Hidden!;
        float[] chained = second.Score(tape, tape.Constant(x), context).Value.ToArray();
        float[] fresh = second.Score(tape, tape.Constant(x), new RoutingContext(new Rng(1)) { State = new RouterState() }).Value.ToArray();

        // Then the state is [N, p], it moved on, and layer 1's logits depend on layer 0's state
        Assert.Equal(new Shape(7, 5), hidden.Shape);
        Assert.NotSame(hidden, context.State.Hidden);
        Assert.NotEqual(fresh, chained);
    }

    [Fact]
    public void Create_Rmoe_NamesParametersAsTheReference()
    {
        Router router = RouterCatalog.Create("rmoe", new RouterSetup(8, 4, new Rng(1)), new RmoeRouterOptions { Hidden = 3 });
        var scorer = Assert.IsType<RecurrentScorer>(router.Scorer);
        var names = scorer.NamedParameters().Select(p => (p.Name, p.Parameter.Value.Shape)).ToList();
        Assert.Contains(("proj.weight", new Shape(3, 8)), names);
        Assert.Contains(("gru.weight_ih", new Shape(9, 3)), names);
        Assert.Contains(("gru.bias_hh", new Shape(9)), names);
        Assert.Contains(("weight", new Shape(4, 3)), names);
        Assert.Equal(2, router.Selector.K);
    }

    [Fact]
    public void Step_TwoLayersThroughTheState_GradientMatchesFloat64()
    {
        // Layer 0 and layer 1 logits summed: every weight of layer 0 reaches layer 1 through h (shared GRU cell, as the reference).
        const int n = 3, d = 4, p = 3, e = 2;
        Tensor[] inputs =
        [
            TapeGradCheck.Random(new Shape(n, d), 1), TapeGradCheck.Random(new Shape(n, d), 2),
            TapeGradCheck.Random(new Shape(p, d), 3), TapeGradCheck.Random(new Shape(p, d), 4),
            TapeGradCheck.Random(new Shape(3 * p, p), 5), TapeGradCheck.Random(new Shape(3 * p, p), 6),
            TapeGradCheck.Random(new Shape(3 * p), 7), TapeGradCheck.Random(new Shape(3 * p), 8),
            TapeGradCheck.Random(new Shape(e, p), 9), TapeGradCheck.Random(new Shape(e, p), 10),
        ];
        TapeGradCheck.Check(inputs, (t, v) =>
        {
            var (l0, h0) = RecurrentScorer.Step(t, v[0], null, v[2], v[4], v[5], v[6], v[7], v[8]);
            var (l1, _) = RecurrentScorer.Step(t, v[1], h0, v[3], v[4], v[5], v[6], v[7], v[9]);
            return t.Add(l0, l1);
        }, x =>
        {
            double[] hA = Gru(Lin(x[0], x[2], n, d, p), new double[n * p], x[4], x[5], x[6], x[7], n, p);
            double[] hB = Gru(Lin(x[1], x[3], n, d, p), hA, x[4], x[5], x[6], x[7], n, p);
            double[] a = Lin(hA, x[8], n, p, e), b = Lin(hB, x[9], n, p, e);
            return [.. a.Zip(b, (u, w) => u + w)];
        });
    }

    // y = x·Wᵀ, x [rows, inF], W [outF, inF].
    static double[] Lin(double[] x, double[] w, int rows, int inF, int outF)
    {
        var y = new double[rows * outF];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < outF; o++)
            {
                double s = 0;
                for (int i = 0; i < inF; i++) s += x[r * inF + i] * w[o * inF + i];
                y[r * outF + o] = s;
            }
        return y;
    }

    // PyTorch GRUCell in double.
    static double[] Gru(double[] u, double[] h, double[] wih, double[] whh, double[] bih, double[] bhh, int rows, int p)
    {
        double[] gi = Lin(u, wih, rows, p, 3 * p), gh = Lin(h, whh, rows, p, 3 * p);
        var y = new double[rows * p];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < p; j++)
            {
                int o = r * 3 * p + j;
                double rg = Sig(gi[o] + bih[j] + gh[o] + bhh[j]);
                double z = Sig(gi[o + p] + bih[j + p] + gh[o + p] + bhh[j + p]);
                double nn = Math.Tanh(gi[o + 2 * p] + bih[j + 2 * p] + rg * (gh[o + 2 * p] + bhh[j + 2 * p]));
                y[r * p + j] = (1 - z) * nn + z * h[r * p + j];
            }
        return y;
    }

    static double Sig(double v) => 1 / (1 + Math.Exp(-v));
}
