using Switchyard.Autograd;
using Switchyard.Routing;
using Switchyard.Routing.Balancers;
using Switchyard.Routing.Scorers;
using Switchyard.Routing.Selectors;
using Switchyard.Tensors;
using Switchyard.Tests.Autograd;

namespace Switchyard.Tests.Routing.Balancers;

public class RouterContrastiveLossTests
{
    const int N = 8, D = 3, E = 4, T = 4;
    // Two sequences of 4: segments (task 0: rows 0–1), (task 1: rows 2–3), (task 0: row 4), (task 1: row 5), (task 1: row 7):
    // row 6 has no task and breaks the run.
    static readonly int[] s_tasks = [0, 0, 1, 1, 0, 1, -1, 1];

    static (MlpScorer Online, RouterContrastiveLoss Loss, Router Router) Build(float alpha = 1f)
    {
        var online = new MlpScorer(D, E, new Rng(1), noisy: false);
        var loss = new RouterContrastiveLoss(online, new Rng(2), alpha, tau: 0.25f);
        new Rng(3).FillNormal(online.W1.Value.Span, 0.8f); // the online gate moved away from its EMA target
        new Rng(4).FillNormal(online.W2.Value.Span, 0.8f);
        return (online, loss, new Router(online, new TopKSelector(2) { Normalize = true }, loss));
    }

    static double[] Logits(float[] w1, float[] w2, double[] x)
    {
        var h = new double[N * E];
        for (int t = 0; t < N; t++)
        {
            var a = new double[E];
            for (int e = 0; e < E; e++)
            {
                double s = 0;
                for (int j = 0; j < D; j++) s += w1[e * D + j] * x[t * D + j];
                a[e] = Math.Tanh(s);
            }
            for (int e = 0; e < E; e++)
                for (int j = 0; j < E; j++) h[t * E + e] += w2[e * E + j] * a[j];
        }
        return h;
    }

    static readonly int[][] s_segments = [[0, 1], [2, 3], [4], [5], [7]];
    static readonly int[] s_segmentTask = [0, 1, 0, 1, 1];

    // Segment means of the rows.
    static double[][] Pool(double[] h)
    {
        int[][] segments = s_segments;
        return [.. segments.Select(rows => Enumerable.Range(0, E).Select(e => rows.Average(r => h[r * E + e])).ToArray())];
    }

    static double Reference(double[][] q, double[][] k, float[] w)
    {
        int[] task = s_segmentTask;
        int n = task.Length;
        double total = 0;
        for (int a = 0; a < n; a++)
        {
            var s = new double[n];
            for (int b = 0; b < n; b++)
                for (int i = 0; i < E; i++)
                    for (int j = 0; j < E; j++) s[b] += q[a][i] * w[i * E + j] * k[b][j];
            double max = s.Where((_, b) => b != a).Max(), z = 0, pos = 0;
            for (int b = 0; b < n; b++)
            {
                if (b == a) continue;
                double e = Math.Exp(s[b] - max);
                z += e;
                if (task[b] == task[a]) pos += e;
            }
            total -= Math.Log(pos / z);
        }
        return total / n; // every segment has another of its task
    }

    static RoutingContext Context(bool training, int[] tasks) =>
        new(new Rng(5)) { Training = training, SequenceLength = T, TaskIds = tasks };

    [Fact]
    public void Loss_ValueAndGradientThroughTheOnlineGate_MatchFloat64()
    {
        var (online, loss, router) = Build();
        Tensor x = TapeGradCheck.Random(new Shape(N, D), 31, -1.5f, 1.5f);
        double[] x0 = [.. x.ToArray().Select(v => (double)v)];
        float[] tw1 = loss.Target.W1.Value.ToArray(), tw2 = loss.Target.W2.Value.ToArray(), w = loss.Bilinear.Value.ToArray();
        // Keys come from the EMA target on the unperturbed input: constant with respect to x.
        double[][] k = Pool(Logits(tw1, tw2, x0));
        TapeGradCheck.Check([x],
            (tape, v) => router.Route(tape, v[0], Context(training: true, s_tasks), new RoutingPlan())!,
            xs => [Reference(Pool(Logits(online.W1.Value.ToArray(), online.W2.Value.ToArray(), xs[0])), k, w)]);
    }

    [Fact]
    public void Loss_GradientReachesOnlineGateAndBilinear_NotTheTarget()
    {
        var (online, loss, router) = Build(alpha: 0.01f);
        var x = new Tensor(new Shape(N, D));
        new Rng(6).FillNormal(x.Span);
        var tape = new Tape(4096);
        Var? aux = router.Route(tape, tape.Constant(x), Context(training: true, s_tasks), new RoutingPlan());
        tape.Backward(aux!);
        Assert.Contains(online.W1.Grad.ToArray(), g => g != 0);
        Assert.Contains(loss.Bilinear.Grad.ToArray(), g => g != 0);
        Assert.False(loss.Target.W1.Trainable);
        Assert.Equal(0.01f, Assert.Single(router.Statistics.AuxLosses.ToArray()).Coefficient);
    }

    [Fact]
    public void Loss_NotTraining_IsNotComputed()
    {
        var (_, _, router) = Build();
        var x = new Tensor(new Shape(N, D));
        var tape = new Tape(4096);
        Assert.Null(router.Route(tape, tape.Constant(x), Context(training: false, s_tasks), new RoutingPlan()));
        // No task ids, or no task with two segments: nothing to contrast.
        Assert.Null(router.Route(tape, tape.Constant(x), Context(training: true, []), new RoutingPlan()));
        Assert.Null(router.Route(tape, tape.Constant(x), Context(training: true, [0, 0, 0, 0, 1, 1, 1, 1]), new RoutingPlan()));
    }

    [Fact]
    public void AfterOptimizerStep_MovesTheTargetByTauTowardTheCurrentOnlineGate()
    {
        var (online, loss, _) = Build();
        float[] before = loss.Target.W1.Value.ToArray(), now = online.W1.Value.ToArray();
        Assert.NotEqual(before, now);
        loss.AfterOptimizerStep();
        float[] after = loss.Target.W1.Value.ToArray();
        for (int i = 0; i < after.Length; i++) Assert.Equal(0.75f * before[i] + 0.25f * now[i], after[i], 1e-6f);
    }

    [Fact]
    public void Constructor_TargetStartsAsACopy_AndIsRegisteredFrozen()
    {
        var online = new MlpScorer(D, E, new Rng(1));
        var loss = new RouterContrastiveLoss(online, new Rng(2));
        Assert.Equal(online.W1.Value.ToArray(), loss.Target.W1.Value.ToArray());
        Assert.Equal(["w", "target.w1", "target.w2"], loss.NamedParameters().Select(p => p.Name).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => new RouterContrastiveLoss(online, new Rng(2), tau: 0));
    }
}
