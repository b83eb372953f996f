using System.Runtime.Intrinsics;
using Switchyard.Tensors;

namespace Switchyard.Nn.Optim;

/// <summary>
/// Elementwise optimizer updates. Every path performs the same float operations in the same
/// order without fused multiply-add, so Scalar, V256 and V512 give bit-identical results:
/// a checkpoint resumes identically whichever width the machine picks.
/// </summary>
internal static class OptimizerKernels
{
    /// <summary>
    /// AdamW (PyTorch <c>torch.optim.AdamW</c>, single-tensor form): p ← p·decay;
    /// m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; p ← p − stepSize·m / (√v / √bc2 + ε).
    /// </summary>
    public static void AdamW(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v,
        float decay, float beta1, float beta2, float eps, float stepSize, float sqrtBc2, SimdWidth width)
    {
        if (g.Length != p.Length || m.Length != p.Length || v.Length != p.Length)
            throw new ArgumentException($"lengths differ: p {p.Length}, g {g.Length}, m {m.Length}, v {v.Length}", nameof(g));
        float c1 = 1f - beta1, c2 = 1f - beta2;
        int i = 0, n = p.Length;
        if (width == SimdWidth.V512 && n >= Vector512<float>.Count)
        {
            var vd = Vector512.Create(decay); var vb1 = Vector512.Create(beta1); var vc1 = Vector512.Create(c1);
            var vb2 = Vector512.Create(beta2); var vc2 = Vector512.Create(c2); var ve = Vector512.Create(eps);
            var vs = Vector512.Create(stepSize); var vbc = Vector512.Create(sqrtBc2);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var gi = Vector512.Create(g[i..]);
                var mi = vb1 * Vector512.Create(m[i..]) + vc1 * gi;
                var vi = vb2 * Vector512.Create(v[i..]) + vc2 * (gi * gi);
                var pi = Vector512.Create(p[i..]) * vd;
                pi -= vs * (mi / (Vector512.Sqrt(vi) / vbc + ve));
                mi.CopyTo(m[i..]); vi.CopyTo(v[i..]); pi.CopyTo(p[i..]);
            }
        }
        else if (width >= SimdWidth.V256 && n >= Vector256<float>.Count)
        {
            var vd = Vector256.Create(decay); var vb1 = Vector256.Create(beta1); var vc1 = Vector256.Create(c1);
            var vb2 = Vector256.Create(beta2); var vc2 = Vector256.Create(c2); var ve = Vector256.Create(eps);
            var vs = Vector256.Create(stepSize); var vbc = Vector256.Create(sqrtBc2);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var gi = Vector256.Create(g[i..]);
                var mi = vb1 * Vector256.Create(m[i..]) + vc1 * gi;
                var vi = vb2 * Vector256.Create(v[i..]) + vc2 * (gi * gi);
                var pi = Vector256.Create(p[i..]) * vd;
                pi -= vs * (mi / (Vector256.Sqrt(vi) / vbc + ve));
                mi.CopyTo(m[i..]); vi.CopyTo(v[i..]); pi.CopyTo(p[i..]);
            }
        }
        for (; i < n; i++)
        {
            float gi = g[i];
            float mi = beta1 * m[i] + c1 * gi;
            float vi = beta2 * v[i] + c2 * (gi * gi);
            float pi = p[i] * decay;
            pi -= stepSize * (mi / (MathF.Sqrt(vi) / sqrtBc2 + eps));
            m[i] = mi; v[i] = vi; p[i] = pi;
        }
    }

    /// <summary>
    /// SGD (PyTorch <c>torch.optim.SGD</c>): d ← g + wd·p; with momentum μ,
    /// buf ← d on the first step else μ·buf + (1−dampening)·d, and d ← d + μ·buf (Nesterov) or buf;
    /// p ← p − lr·d. <paramref name="buf"/> is ignored when <paramref name="momentum"/> is 0.
    /// </summary>
    public static void Sgd(Span<float> p, ReadOnlySpan<float> g, Span<float> buf, float lr, float weightDecay,
        float momentum, float dampening, bool nesterov, bool firstStep, SimdWidth width)
    {
        bool useMomentum = momentum != 0f;
        if (g.Length != p.Length || (useMomentum && buf.Length != p.Length))
            throw new ArgumentException($"lengths differ: p {p.Length}, g {g.Length}, buf {buf.Length}", nameof(g));
        float keep = 1f - dampening;
        int i = 0, n = p.Length;
        if (width == SimdWidth.V512 && n >= Vector512<float>.Count)
        {
            var vlr = Vector512.Create(lr); var vwd = Vector512.Create(weightDecay);
            var vmu = Vector512.Create(momentum); var vk = Vector512.Create(keep);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var pi = Vector512.Create(p[i..]);
                var d = Vector512.Create(g[i..]);
                if (weightDecay != 0f) d += vwd * pi;
                if (useMomentum)
                {
                    var b = firstStep ? d : vmu * Vector512.Create(buf[i..]) + vk * d;
                    b.CopyTo(buf[i..]);
                    d = nesterov ? d + vmu * b : b;
                }
                (pi - vlr * d).CopyTo(p[i..]);
            }
        }
        else if (width >= SimdWidth.V256 && n >= Vector256<float>.Count)
        {
            var vlr = Vector256.Create(lr); var vwd = Vector256.Create(weightDecay);
            var vmu = Vector256.Create(momentum); var vk = Vector256.Create(keep);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var pi = Vector256.Create(p[i..]);
                var d = Vector256.Create(g[i..]);
                if (weightDecay != 0f) d += vwd * pi;
                if (useMomentum)
                {
                    var b = firstStep ? d : vmu * Vector256.Create(buf[i..]) + vk * d;
                    b.CopyTo(buf[i..]);
                    d = nesterov ? d + vmu * b : b;
                }
                (pi - vlr * d).CopyTo(p[i..]);
            }
        }
        for (; i < n; i++)
        {
            float pi = p[i];
            float d = g[i];
            if (weightDecay != 0f) d += weightDecay * pi;
            if (useMomentum)
            {
                float b = firstStep ? d : momentum * buf[i] + keep * d;
                buf[i] = b;
                d = nesterov ? d + momentum * b : b;
            }
            p[i] = pi - lr * d;
        }
    }

    /// <summary>Σ x[i]² in double; lanes combine in a fixed order, so the result is deterministic per width.</summary>
    public static double SumOfSquares(ReadOnlySpan<float> x, SimdWidth width)
    {
        int i = 0, n = x.Length;
        double sum = 0;
        if (width == SimdWidth.V512 && n >= Vector512<float>.Count)
        {
            var acc = Vector512<double>.Zero;
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var (lo, hi) = Vector512.Widen(Vector512.Create(x[i..]));
                acc += lo * lo + hi * hi;
            }
            sum = Vector512.Sum(acc);
        }
        else if (width >= SimdWidth.V256 && n >= Vector256<float>.Count)
        {
            var acc = Vector256<double>.Zero;
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var (lo, hi) = Vector256.Widen(Vector256.Create(x[i..]));
                acc += lo * lo + hi * hi;
            }
            sum = Vector256.Sum(acc);
        }
        for (; i < n; i++) sum += (double)x[i] * x[i];
        return sum;
    }

    /// <summary>x[i] ← x[i]·scale.</summary>
    public static void Scale(Span<float> x, float scale, SimdWidth width)
    {
        int i = 0, n = x.Length;
        if (width == SimdWidth.V512)
        {
            var s = Vector512.Create(scale);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count) (Vector512.Create(x[i..]) * s).CopyTo(x[i..]);
        }
        else if (width == SimdWidth.V256)
        {
            var s = Vector256.Create(scale);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count) (Vector256.Create(x[i..]) * s).CopyTo(x[i..]);
        }
        for (; i < n; i++) x[i] *= scale;
    }
}
