using Switchyard.Routing.Balancers;
using Switchyard.Tensors;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Routing.Balancers;

public class NoisyTopKLoadTests
{
    const int N = 4, E = 5, K = 2;

    [Fact]
    public void Phi_MatchesKnownValues()
    {
        Assert.Equal(0.5, NoisyTopKLoad.Phi(0), 1e-15);
        Assert.Equal(0.97500210485177952, NoisyTopKLoad.Phi(1.96), 1e-14);
        Assert.Equal(0.15865525393145705, NoisyTopKLoad.Phi(-1), 1e-14);
        Assert.Equal(1 - 2.866515718791939e-7, NoisyTopKLoad.Phi(5), 1e-15);
    }

    [Fact]
    public void Forward_IsTheProbabilityOfStayingInTheTopK()
    {
        // One token, clean logits far apart and tiny noise: the top 2 stay in with probability ≈ 1, the rest ≈ 0.
        double[] h = [4, 3, 0, -1, -2], s = [0.01, 0.01, 0.01, 0.01, 0.01], eps = [0, 0, 0, 0, 0];
        var load = new double[E];
        NoisyTopKLoad.Forward<double>(h, s, eps, 1, E, K, load);
        Assert.Equal([1, 1, 0, 0, 0], load.Select(v => Math.Round(v, 9)).ToArray());
        // With equal noise σ, expert 1's threshold to stay in is the 3rd logit: Φ((3 − 0)/σ).
        s = [2, 2, 2, 2, 2];
        NoisyTopKLoad.Forward<double>(h, s, eps, 1, E, K, load);
        Assert.Equal(NoisyTopKLoad.Phi(1.5), load[1], 1e-12);
        Assert.Equal(NoisyTopKLoad.Phi(-1.5), load[2], 1e-12); // outside: must beat the 2nd (3)
    }

    [Fact]
    public void Backward_MatchesCentralDifferences_InFloat64()
    {
        var rng = new Rng(11);
        double[] h = Rand.Doubles(rng, N * E, scale: 2), eps = Rand.Doubles(rng, N * E, scale: 1.5), s = Rand.Doubles(rng, N * E);
        for (int i = 0; i < s.Length; i++) s[i] = 0.3 + Math.Abs(s[i]);
        double[] w = Rand.Doubles(rng, E);
        var dh = new double[N * E];
        var ds = new double[N * E];
        NoisyTopKLoad.Backward<double>(h, s, eps, N, E, K, w, dh, ds);

        double F(double[] hh, double[] ss)
        {
            var load = new double[E];
            NoisyTopKLoad.Forward<double>(hh, ss, eps, N, E, K, load);
            return GradCheck.Dot(w, load);
        }
        // Small steps: the ranking of the noisy logits must not change inside the difference.
        GradCheck.AssertClose(GradCheck.Numeric(x => F(x, s), (double[])h.Clone(), 1e-6), dh, 1e-6, "dh");
        GradCheck.AssertClose(GradCheck.Numeric(x => F(h, x), (double[])s.Clone(), 1e-6), ds, 1e-6, "dσ");
    }
}
