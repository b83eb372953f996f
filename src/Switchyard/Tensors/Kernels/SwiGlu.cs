using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// SwiGLU gating, y = silu(gate)·up: the inner product of Llama/Mixtral MLPs and experts,
/// <c>act_fn(gate_proj(x)) * up_proj(x)</c>.
/// </summary>
public static unsafe class SwiGlu
{
    /// <summary>y = silu(gate)·up elementwise. <paramref name="y"/> may be the same span as either input.</summary>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    public static void Forward(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> y) =>
        Forward(gate, up, y, Simd.Best, ParallelRunner.Threads);

    /// <summary>dGate += dy·up·silu'(gate); dUp += dy·silu(gate) (both accumulate).</summary>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    public static void Backward(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, ReadOnlySpan<float> dy, Span<float> dGate, Span<float> dUp) =>
        Backward(gate, up, dy, dGate, dUp, Simd.Best, ParallelRunner.Threads);

    internal static void Forward(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, Span<float> y, SimdWidth width, int threads)
    {
        ThrowHelper.CheckSameLength(nameof(up), up.Length, nameof(gate), gate.Length);
        ThrowHelper.CheckSameLength(nameof(y), y.Length, nameof(gate), gate.Length);
        ElementwiseLoop.Binary<ForwardOp>(gate, up, y, width, accumulate: false, threads);
    }

    internal static void Backward(ReadOnlySpan<float> gate, ReadOnlySpan<float> up, ReadOnlySpan<float> dy, Span<float> dGate, Span<float> dUp,
        SimdWidth width, int threads)
    {
        int n = gate.Length;
        ThrowHelper.CheckSameLength(nameof(up), up.Length, nameof(gate), n);
        ThrowHelper.CheckSameLength(nameof(dy), dy.Length, nameof(gate), n);
        ThrowHelper.CheckSameLength(nameof(dGate), dGate.Length, nameof(gate), n);
        ThrowHelper.CheckSameLength(nameof(dUp), dUp.Length, nameof(gate), n);
        int parts = ElementwiseLoop.Parts(n, threads);
        fixed (float* pg = gate, pu = up, pdy = dy, pdg = dGate, pdu = dUp)
        {
            if (parts == 1)
            {
                BackwardRange(pg, pu, pdy, pdg, pdu, n, width);
                return;
            }
            var job = BackwardJob.Cached ??= new BackwardJob();
            job.Gate = pg; job.Up = pu; job.Dy = pdy; job.DGate = pdg; job.DUp = pdu; job.N = n; job.Width = width;
            ParallelRunner.Run(job, parts);
            job.Gate = job.Up = job.Dy = job.DGate = job.DUp = null;
        }
    }

    /// <summary>The definition, generic so it runs in double as the test oracle.</summary>
    internal static void ReferenceForward<T>(ReadOnlySpan<T> gate, ReadOnlySpan<T> up, Span<T> y) where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < gate.Length; i++) y[i] = gate[i] / (T.One + T.Exp(-gate[i])) * up[i];
    }

    /// <summary>The derivative of <see cref="ReferenceForward{T}"/> (accumulates into both gradients).</summary>
    internal static void ReferenceBackward<T>(ReadOnlySpan<T> gate, ReadOnlySpan<T> up, ReadOnlySpan<T> dy, Span<T> dGate, Span<T> dUp)
        where T : IFloatingPointIeee754<T>
    {
        for (int i = 0; i < gate.Length; i++)
        {
            T g = gate[i], s = T.One / (T.One + T.Exp(-g));
            dGate[i] += dy[i] * up[i] * s * (T.One + g * (T.One - s));
            dUp[i] += dy[i] * g * s;
        }
    }

    sealed class BackwardJob : IParallelJob
    {
        [ThreadStatic] internal static BackwardJob? Cached;
        public float* Gate, Up, Dy, DGate, DUp;
        public int N;
        public SimdWidth Width;

        public void Execute(int part, int parts)
        {
            int start = ElementwiseLoop.ChunkStart(N, part, parts), end = ElementwiseLoop.ChunkStart(N, part + 1, parts);
            BackwardRange(Gate + start, Up + start, Dy + start, DGate + start, DUp + start, end - start, Width);
        }
    }

    // One exponential serves both gradients: this is the MoE expert backward hot path.
    static void BackwardRange(float* g, float* u, float* dy, float* dg, float* du, int n, SimdWidth width)
    {
        int i = 0;
        if (width == SimdWidth.V512)
        {
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var vg = Vector512.Load(g + i);
                var vdy = Vector512.Load(dy + i);
                var s = VectorMath.Sigmoid(vg, out var slope);
                (Vector512.Load(dg + i) + vdy * Vector512.Load(u + i) * Vector512.FusedMultiplyAdd(vg, slope, s)).Store(dg + i);
                (Vector512.Load(du + i) + vdy * (vg * s)).Store(du + i);
            }
            if (i < n) Tail512(g + i, u + i, dy + i, dg + i, du + i, n - i);
        }
        else if (width == SimdWidth.V256)
        {
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var vg = Vector256.Load(g + i);
                var vdy = Vector256.Load(dy + i);
                var s = VectorMath.Sigmoid(vg, out var slope);
                (Vector256.Load(dg + i) + vdy * Vector256.Load(u + i) * Vector256.FusedMultiplyAdd(vg, slope, s)).Store(dg + i);
                (Vector256.Load(du + i) + vdy * (vg * s)).Store(du + i);
            }
            if (i < n) Tail256(g + i, u + i, dy + i, dg + i, du + i, n - i);
        }
        else
        {
            for (; i < n; i++)
            {
                float s = VectorMath.Sigmoid(g[i], out float slope);
                dg[i] += dy[i] * u[i] * MathF.FusedMultiplyAdd(g[i], slope, s);
                du[i] += dy[i] * (g[i] * s);
            }
        }
    }

    // The last partial vector, through the same vector math as the rest (see ElementwiseLoop).
    [MethodImpl(MethodImplOptions.NoInlining)]
    static void Tail512(float* g, float* u, float* dy, float* dg, float* du, int count)
    {
        var vg = ElementwiseLoop.LoadPartial512(g, count);
        var vu = ElementwiseLoop.LoadPartial512(u, count);
        var vdy = ElementwiseLoop.LoadPartial512(dy, count);
        var vdg = ElementwiseLoop.LoadPartial512(dg, count);
        var vdu = ElementwiseLoop.LoadPartial512(du, count);
        var s = VectorMath.Sigmoid(vg, out var slope);
        vdg += vdy * vu * Vector512.FusedMultiplyAdd(vg, slope, s);
        vdu += vdy * (vg * s);
        ElementwiseLoop.StorePartial(vdg, dg, count);
        ElementwiseLoop.StorePartial(vdu, du, count);
    }

    // The last partial vector, through the same vector math as the rest (see ElementwiseLoop).
    [MethodImpl(MethodImplOptions.NoInlining)]
    static void Tail256(float* g, float* u, float* dy, float* dg, float* du, int count)
    {
        var vg = ElementwiseLoop.LoadPartial256(g, count);
        var vu = ElementwiseLoop.LoadPartial256(u, count);
        var vdy = ElementwiseLoop.LoadPartial256(dy, count);
        var vdg = ElementwiseLoop.LoadPartial256(dg, count);
        var vdu = ElementwiseLoop.LoadPartial256(du, count);
        var s = VectorMath.Sigmoid(vg, out var slope);
        vdg += vdy * vu * Vector256.FusedMultiplyAdd(vg, slope, s);
        vdu += vdy * (vg * s);
        ElementwiseLoop.StorePartial(vdg, dg, count);
        ElementwiseLoop.StorePartial(vdu, du, count);
    }

    /// <summary>silu(a)·b.</summary>
    internal readonly struct ForwardOp : IBinaryOperator
    {
        public static float Invoke(float a, float b) => a * VectorMath.Sigmoid(a, out _) * b;
        public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b) => a * VectorMath.Sigmoid(a, out _) * b;
        public static Vector512<float> Invoke(Vector512<float> a, Vector512<float> b) => a * VectorMath.Sigmoid(a, out _) * b;
    }
}
