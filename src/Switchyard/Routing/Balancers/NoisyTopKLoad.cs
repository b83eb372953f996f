using System.Numerics;
using Switchyard.Autograd;
using Switchyard.Tensors;

namespace Switchyard.Routing.Balancers;

/// <summary>
/// The smooth load of noisy top-k gating (Shazeer et al. 2017, arXiv 1701.06538, eq. 8–10; T2MIR's gate):
/// <c>load_e = Σ_t Φ((h[t,e] − θ[t,e]) / σ[t,e])</c>, the probability that expert e is in token t's top k when
/// only its own noise is redrawn. With noisy logits g = h + σ∘ε, θ is the (k+1)-th largest g of the row when
/// e is in the top k (g[t,e] above it), else the k-th largest. The thresholds are noisy logits themselves, so
/// the gradient flows to h and σ of the expert at rank k and k+1 too (as autograd does in the reference).
/// </summary>
/// <remarks>
/// The reference code (NJU-RL/T2MIR <c>TopKBalancedNoisyGate</c>) tests membership with the noise term alone
/// (<c>is_in = logits_noise &gt; threshold_if_in</c>); this follows the original paper (the noisy logit).
/// Needs k &lt; E. Φ is computed in double from a series accurate to ~1e-16.
/// </remarks>
public static class NoisyTopKLoad
{
    /// <summary>Records the load [E] of <paramref name="clean"/> h and <paramref name="std"/> σ [N, E] with draws <paramref name="noise"/> ε.</summary>
    /// <exception cref="ArgumentException">Shapes differ, or k is not in [1, E).</exception>
    public static Var Apply(Tape tape, Var clean, Var std, Tensor noise, int k)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(clean);
        ArgumentNullException.ThrowIfNull(std);
        ArgumentNullException.ThrowIfNull(noise);
        if (clean.Shape.Rank != 2 || std.Shape != clean.Shape || noise.Shape != clean.Shape)
            throw new ArgumentException($"clean {clean.Shape}, std {std.Shape} and noise {noise.Shape} must be one [N, E] shape", nameof(std));
        int items = clean.Shape[0], experts = clean.Shape[1];
        if (k < 1 || k >= experts) throw new ArgumentException($"k = {k} must be in [1, {experts})", nameof(k));
        bool grad = tape.NeedsGrad(clean, std);
        Var y = tape.NewVar(new Shape(experts), grad);
        Forward<float>(clean.Value.Span, std.Value.Span, noise.Span, items, experts, k, y.Value.Span);
        if (grad) tape.Record(NoisyTopKLoadOp.Instance, [clean, std], [y]).Save(noise).Int0 = k;
        return y;
    }

    /// <summary>load[e] = Σ_t Φ((h − θ)/σ) (overwrites <paramref name="load"/>).</summary>
    public static void Forward<T>(ReadOnlySpan<T> h, ReadOnlySpan<T> s, ReadOnlySpan<T> eps, int items, int experts, int k, Span<T> load)
        where T : IFloatingPointIeee754<T>
    {
        load[..experts].Clear();
        for (int t = 0; t < items; t++)
        {
            int o = t * experts;
            var (jOut, jIn) = Thresholds(h.Slice(o, experts), s.Slice(o, experts), eps.Slice(o, experts), k);
            T gIn = h[o + jIn] + s[o + jIn] * eps[o + jIn], gOut = h[o + jOut] + s[o + jOut] * eps[o + jOut];
            for (int e = 0; e < experts; e++)
            {
                T g = h[o + e] + s[o + e] * eps[o + e];
                T theta = g > gIn ? gIn : gOut;
                load[e] += T.CreateChecked(Phi(double.CreateChecked((h[o + e] - theta) / s[o + e])));
            }
        }
    }

    /// <summary>Accumulates dh, dσ from dload [E].</summary>
    public static void Backward<T>(ReadOnlySpan<T> h, ReadOnlySpan<T> s, ReadOnlySpan<T> eps, int items, int experts, int k,
        ReadOnlySpan<T> dload, Span<T> dh, Span<T> ds) where T : IFloatingPointIeee754<T>
    {
        bool needH = !dh.IsEmpty, needS = !ds.IsEmpty;
        for (int t = 0; t < items; t++)
        {
            int o = t * experts;
            var (jOut, jIn) = Thresholds(h.Slice(o, experts), s.Slice(o, experts), eps.Slice(o, experts), k);
            T gIn = h[o + jIn] + s[o + jIn] * eps[o + jIn], gOut = h[o + jOut] + s[o + jOut] * eps[o + jOut];
            for (int e = 0; e < experts; e++)
            {
                T g = h[o + e] + s[o + e] * eps[o + e];
                bool inside = g > gIn;
                int j = inside ? jIn : jOut;
                T theta = inside ? gIn : gOut;
                T z = (h[o + e] - theta) / s[o + e];
                // dΦ(z) = φ(z)·dz; z = (h_e − θ)/σ_e, θ = h_j + σ_j·ε_j.
                T a = dload[e] * T.CreateChecked(Density(double.CreateChecked(z))) / s[o + e];
                if (needH) { dh[o + e] += a; dh[o + j] -= a; }
                if (needS) { ds[o + e] -= a * z; ds[o + j] -= a * eps[o + j]; }
            }
        }
    }

    // Experts at rank k (0-based: the (k+1)-th largest noisy logit, θ for experts inside) and k−1 (the k-th,
    // θ for experts outside). Ties go to the lower expert id, as the selector's.
    static (int Out, int In) Thresholds<T>(ReadOnlySpan<T> h, ReadOnlySpan<T> s, ReadOnlySpan<T> eps, int k) where T : IFloatingPointIeee754<T>
    {
        int experts = h.Length;
        Span<bool> taken = experts <= 256 ? stackalloc bool[experts] : new bool[experts];
        int kth = -1, next = -1;
        for (int r = 0; r <= k; r++)
        {
            int arg = -1;
            T best = T.Zero;
            for (int e = 0; e < experts; e++)
            {
                if (taken[e]) continue;
                T g = h[e] + s[e] * eps[e];
                if (arg < 0 || g > best) { arg = e; best = g; }
            }
            taken[arg] = true;
            if (r == k - 1) kth = arg;
            if (r == k) next = arg;
        }
        return (kth, next);
    }

    /// <summary>Standard normal CDF Φ(z) in double.</summary>
    internal static double Phi(double z)
    {
        if (z < -8.5) return 0;
        if (z > 8.5) return 1;
        return 0.5 + 0.5 * Erf(z / Math.Sqrt(2));
    }

    static double Density(double z) => Math.Exp(-0.5 * z * z) / Math.Sqrt(2 * Math.PI);

    // erf(x) = 2/√π·e^(−x²)·Σ_n 2ⁿ·x^(2n+1)/(1·3·…·(2n+1)): all terms positive (no cancellation), converges for
    // every x; |x| ≤ 6.02 here, which needs < 150 terms for double precision.
    static double Erf(double x)
    {
        double ax = Math.Abs(x), term = ax, sum = ax, x2 = ax * ax;
        for (int n = 1; n < 400 && term > 1e-17 * sum; n++)
        {
            term *= 2 * x2 / (2 * n + 1);
            sum += term;
        }
        double r = 2 / Math.Sqrt(Math.PI) * Math.Exp(-x2) * sum;
        return x < 0 ? -r : r;
    }
}

/// <summary>Backward of <see cref="NoisyTopKLoad.Apply"/>.</summary>
internal sealed class NoisyTopKLoadOp : TapeOp
{
    public static readonly NoisyTopKLoadOp Instance = new();

    public override void Backward(Tape tape, TapeNode node)
    {
        Var h = node.Input(0), s = node.Input(1);
        int items = h.Shape[0], experts = h.Shape[1];
        NoisyTopKLoad.Backward<float>(h.Value.Span, s.Value.Span, node.Saved(0).Span, items, experts, node.Int0, node.Output(0).Grad.Span,
            h.RequiresGrad ? h.Grad.Span : default, s.RequiresGrad ? s.Grad.Span : default);
    }
}
