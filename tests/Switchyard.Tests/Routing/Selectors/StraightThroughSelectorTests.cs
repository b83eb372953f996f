using Switchyard.Autograd;
using Switchyard.Routing;
using Switchyard.Routing.Selectors;
using Switchyard.Tensors;
using Switchyard.Tests.Autograd;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Routing.Selectors;

public class StraightThroughSelectorTests
{
    const int N = 5, S = 3;

    [Fact]
    public void Gates_AreOne_AndTheirGradientIsThatOfPOverFrozenP_InFloat64()
    {
        // Given logits over big, small and skip (a null expert), top-1 with straight-through gates
        Tensor h = TapeGradCheck.Random(new Shape(N, S), 17, -2f, 2f);
        double[] p0 = RouteHelper.Softmax(Rand.ToDouble(h.Span), N, S);
        int[] chosen = [.. Enumerable.Range(0, N).Select(t => RouteHelper.TopK(p0.AsSpan(t * S, S), 1)[0])];
        int[] kept = [.. Enumerable.Range(0, N).Where(t => chosen[t] < S - 1)]; // skip is never dispatched: no gate

        // Then the gates equal 1 (one rounding) and their gradient is that of p / sg(p) through the softmax
        TapeGradCheck.Check([h],
            (tape, v) =>
            {
                var (_, plan, _) = RouteHelper.RouteWithNulls(tape, v[0], new StraightThroughSelector(new TopKSelector(1)), nullExperts: 1);
                Assert.All(plan.Weight.ToArray(), w => Assert.Equal(1f, w, 1e-6f));
                return plan.Gates!;
            },
            x =>
            {
                double[] p = RouteHelper.Softmax(x[0], N, S);
                // Grouped order: by expert, items ascending.
                return [.. kept.OrderBy(t => chosen[t]).ThenBy(t => t).Select(t => p[t * S + chosen[t]] / p0[t * S + chosen[t]])];
            });
    }
}
