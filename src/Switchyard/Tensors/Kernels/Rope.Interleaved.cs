using System.Numerics;
using System.Runtime.Intrinsics;

namespace Switchyard.Tensors.Kernels;

// llama.cpp's "normal" RoPE (GGML_ROPE_TYPE_NORM): adjacent elements (2i, 2i+1) form a pair.
// GGUF llama-family files need it because convert_hf_to_gguf.py permutes the rows of
// attn_q/attn_k so that HF's pair (i, i + D/2) lands on (2i, 2i+1): interleaved RoPE on the
// permuted projection equals the permuted rotate-half RoPE of the original one.
public static unsafe partial class Rope
{
    /// <summary>
    /// Rotates adjacent pairs: y[2i] = x[2i]·cos − x[2i+1]·sin, y[2i+1] = x[2i+1]·cos + x[2i]·sin with
    /// angle pos·θ^(−2i/headDim), the layout of llama.cpp's normal RoPE (GGUF llama-family q/k).
    /// <paramref name="x"/> and <paramref name="y"/> may be the same span. Angles in double, as <see cref="Forward(ReadOnlySpan{float}, Span{float}, ReadOnlySpan{int}, int, int, int, float)"/>.
    /// </summary>
    /// <param name="x">Input [tokens, heads, headDim].</param>
    /// <param name="y">Output, same layout.</param>
    /// <param name="positions">Position of each token (tokens); any non-negative or negative int, e.g. startPosition + t at decode.</param>
    /// <param name="tokens">Number of tokens (≥ 0).</param>
    /// <param name="heads">Heads per token (≥ 1).</param>
    /// <param name="headDim">Head size: even, 2 to 4096.</param>
    /// <param name="theta">Base of the frequencies (<c>rope_theta</c> / <c>rope.freq_base</c>), &gt; 0.</param>
    /// <exception cref="ArgumentException">A span's length does not match the sizes.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is out of range, headDim is odd, or theta is not positive and finite.</exception>
    public static void ForwardInterleaved(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<int> positions, int tokens, int heads, int headDim, float theta) =>
        ForwardInterleaved(x, y, positions, tokens, heads, headDim, theta, Simd.Best, ParallelRunner.Threads);

    internal static void ForwardInterleaved(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<int> positions, int tokens, int heads, int headDim, float theta,
        SimdWidth width, int threads)
    {
        ThrowHelper.CheckNonNegative(tokens);
        ThrowHelper.CheckAtLeast(heads, 1);
        if (headDim < 2 || headDim > MaxHeadDim || headDim % 2 != 0)
            throw new ArgumentOutOfRangeException(nameof(headDim), headDim, $"headDim must be even and in [2, {MaxHeadDim}].");
        if (!(theta > 0f) || float.IsInfinity(theta))
            throw new ArgumentOutOfRangeException(nameof(theta), theta, "theta must be positive and finite.");
        long size = (long)tokens * heads * headDim;
        if (x.Length != size)
            ThrowHelper.LengthMismatch(nameof(x), x.Length, size, $"tokens × heads × headDim = {tokens} × {heads} × {headDim}");
        if (y.Length != size)
            ThrowHelper.LengthMismatch(nameof(y), y.Length, size, $"tokens × heads × headDim = {tokens} × {heads} × {headDim}");
        ThrowHelper.CheckOnePer(nameof(positions), positions.Length, "token", tokens);

        int parts = (int)Math.Min(ElementwiseLoop.Parts(size, threads), Math.Max(tokens, 1));
        fixed (float* ps = x, pd = y)
        fixed (int* pp = positions)
        {
            if (parts == 1)
            {
                InterleavedTokens(ps, pd, pp, 0, tokens, heads, headDim, theta, width);
                return;
            }
            var job = InterleavedJob.Cached ??= new InterleavedJob();
            job.Src = ps; job.Dst = pd; job.Positions = pp;
            job.Tokens = tokens; job.Heads = heads; job.HeadDim = headDim; job.Theta = theta; job.Width = width;
            ParallelRunner.Run(job, parts);
            job.Src = job.Dst = null;
            job.Positions = null;
        }
    }

    /// <summary>The definition of <see cref="ForwardInterleaved(ReadOnlySpan{float}, Span{float}, ReadOnlySpan{int}, int, int, int, float)"/>, generic for the double oracle.</summary>
    internal static void ReferenceForwardInterleaved<T>(ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<int> positions, int tokens, int heads, int headDim, double theta)
        where T : IFloatingPointIeee754<T>
    {
        for (int t = 0; t < tokens; t++)
            for (int h = 0; h < heads; h++)
            {
                int o = (t * heads + h) * headDim;
                for (int i = 0; i < headDim / 2; i++)
                {
                    double angle = positions[t] * Math.Pow(theta, -2.0 * i / headDim);
                    T c = T.CreateChecked(Math.Cos(angle)), s = T.CreateChecked(Math.Sin(angle));
                    T a = x[o + 2 * i], b = x[o + 2 * i + 1];
                    y[o + 2 * i] = a * c - b * s;
                    y[o + 2 * i + 1] = b * c + a * s;
                }
            }
    }

    static void InterleavedTokens(float* src, float* dst, int* positions, int t0, int t1, int heads, int headDim, float theta, SimdWidth width)
    {
        int half = headDim / 2;
        double* invFreq = stackalloc double[half];
        // Per element: cos of its pair, and sin signed for its role (−sin on the even element).
        float* cos = stackalloc float[headDim];
        float* sin = stackalloc float[headDim];
        for (int i = 0; i < half; i++) invFreq[i] = Math.Pow(theta, -2.0 * i / headDim);
        for (int t = t0; t < t1; t++)
        {
            // The same cos/sin values as the rotate-half path: only the pairing differs.
            double pos = positions[t];
            for (int i = 0; i < half; i++)
            {
                (double s, double c) = Math.SinCos(pos * invFreq[i]);
                cos[2 * i] = cos[2 * i + 1] = (float)c;
                sin[2 * i] = -(float)s;
                sin[2 * i + 1] = (float)s;
            }
            for (int h = 0; h < heads; h++)
            {
                long o = ((long)t * heads + h) * headDim;
                RotatePairs(src + o, dst + o, cos, sin, headDim, width);
            }
        }
    }

    // y = x·cos + swap(x)·sin, swap exchanging each pair's elements: even lanes get
    // x₀·c − x₁·s, odd lanes x₁·c + x₀·s, with the FMA grouping of the rotate-half path
    // (FMA(own, c, other·±s)), so a permuted rotate-half result is reproduced to the bit.
    static void RotatePairs(float* src, float* dst, float* cos, float* sin, int n, SimdWidth width)
    {
        int i = 0;
        if (width == SimdWidth.V512)
        {
            var swap = Vector512.Create(1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var v = Vector512.Load(src + i);
                var other = Vector512.Shuffle(v, swap);
                Vector512.FusedMultiplyAdd(v, Vector512.Load(cos + i), other * Vector512.Load(sin + i)).Store(dst + i);
            }
        }
        if (width != SimdWidth.Scalar)
        {
            var swap = Vector256.Create(1, 0, 3, 2, 5, 4, 7, 6);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var v = Vector256.Load(src + i);
                var other = Vector256.Shuffle(v, swap);
                Vector256.FusedMultiplyAdd(v, Vector256.Load(cos + i), other * Vector256.Load(sin + i)).Store(dst + i);
            }
        }
        for (; i < n; i += 2)
        {
            float a = src[i], b = src[i + 1];
            dst[i] = MathF.FusedMultiplyAdd(a, cos[i], b * sin[i]);
            dst[i + 1] = MathF.FusedMultiplyAdd(b, cos[i + 1], a * sin[i + 1]);
        }
    }

    sealed class InterleavedJob : IParallelJob
    {
        [ThreadStatic] internal static InterleavedJob? Cached;
        public float* Src, Dst;
        public int* Positions;
        public int Tokens, Heads, HeadDim;
        public float Theta;
        public SimdWidth Width;

        public void Execute(int part, int parts) =>
            InterleavedTokens(Src, Dst, Positions, LayerNorm.RowStart(Tokens, part, parts), LayerNorm.RowStart(Tokens, part + 1, parts),
                Heads, HeadDim, Theta, Width);
    }
}
