using Switchyard.Autograd;
using Switchyard.Tensors;

namespace Switchyard.Routing.Pools;

// The candidate mask of IExpertPools added to a scorer's logits, before the router's softmax.
internal static class PoolMask
{
    // "−∞" in effect: exp(−1e9 − max) is exactly 0 in float32, so masked experts get probability 0, while no infinity
    // enters the tape (the trainer's NaN/Inf diagnosis stays meaningful, and logits − log-softmax stays finite).
    public const float Masked = -1e9f;

    public static Var Apply(Tape tape, Var logits, IExpertPools pools, RoutingContext context)
    {
        int items = logits.Shape.Rows, experts = logits.Shape[1];
        if (pools.Experts != experts)
            throw new ArgumentException($"the pools cover {pools.Experts} experts, the scores have {experts}", nameof(pools));
        Tensor mask = tape.Allocate(logits.Shape, zero: true);
        Span<float> m = mask.Span;
        for (int i = 0; i < items; i++)
        {
            int pool = pools.PoolOf(context, i);
            for (int e = 0; e < experts; e++)
                if (!pools.Allows(pool, e)) m[i * experts + e] = Masked;
        }
        return tape.Add(logits, tape.Constant(mask));
    }
}
