using System.Numerics;
using System.Runtime.Intrinsics;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// Rotary position embeddings in the Hugging Face Llama <c>rotate_half</c> convention: in each
/// head vector of size D, element i pairs with i + D/2 and the pair turns by the angle
/// pos·θ^(−2i/D): y[i] = x[i]·cos − x[i+D/2]·sin, y[i+D/2] = x[i+D/2]·cos + x[i]·sin.
/// Angles and their cosines and sines are computed in double, so positions in the hundreds of
/// thousands keep full float accuracy (HF forms the angle in float32). Layout [tokens, heads, headDim].
/// </summary>
public static unsafe partial class Rope
{
    // Per-token cos/sin tables live on the stack: 2·(D/2) floats plus D/2 doubles.
    const int MaxHeadDim = 4096;

    /// <summary>Rotates every head of every token by its token's position. <paramref name="x"/> and <paramref name="y"/> may be the same span.</summary>
    /// <param name="x">Input [tokens, heads, headDim].</param>
    /// <param name="y">Output, same layout.</param>
    /// <param name="positions">Position of each token (tokens).</param>
    /// <param name="tokens">Number of tokens (≥ 0).</param>
    /// <param name="heads">Heads per token (≥ 1).</param>
    /// <param name="headDim">Head size: even, 2 to 4096.</param>
    /// <param name="theta">Base of the frequencies (<c>rope_theta</c>), &gt; 0.</param>
    /// <exception cref="ArgumentException">A span's length does not match the sizes.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is out of range, headDim is odd, or theta is not positive and finite.</exception>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<int> positions, int tokens, int heads, int headDim, float theta) =>
        Apply(x, y, positions, tokens, heads, headDim, theta, inverse: false, accumulate: false, Simd.Best, ParallelRunner.Threads);

    /// <summary>dx += Rᵀ·dy per head: the inverse rotation of the upstream gradient (accumulates).</summary>
    /// <exception cref="ArgumentException">A span's length does not match the sizes.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is out of range, headDim is odd, or theta is not positive and finite.</exception>
    public static void Backward(ReadOnlySpan<float> dy, Span<float> dx, ReadOnlySpan<int> positions, int tokens, int heads, int headDim, float theta) =>
        Apply(dy, dx, positions, tokens, heads, headDim, theta, inverse: true, accumulate: true, Simd.Best, ParallelRunner.Threads);

    internal static void Forward(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<int> positions, int tokens, int heads, int headDim, float theta,
        SimdWidth width, int threads) =>
        Apply(x, y, positions, tokens, heads, headDim, theta, inverse: false, accumulate: false, width, threads);

    internal static void Backward(ReadOnlySpan<float> dy, Span<float> dx, ReadOnlySpan<int> positions, int tokens, int heads, int headDim, float theta,
        SimdWidth width, int threads) =>
        Apply(dy, dx, positions, tokens, heads, headDim, theta, inverse: true, accumulate: true, width, threads);

    /// <summary>The definition, generic so it runs in double as the test oracle (angles always in double).</summary>
    internal static void ReferenceForward<T>(ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<int> positions, int tokens, int heads, int headDim, double theta)
        where T : IFloatingPointIeee754<T>
    {
        int half = headDim / 2;
        for (int t = 0; t < tokens; t++)
            for (int h = 0; h < heads; h++)
            {
                int o = (t * heads + h) * headDim;
                for (int i = 0; i < half; i++)
                {
                    double angle = positions[t] * Math.Pow(theta, -2.0 * i / headDim);
                    T c = T.CreateChecked(Math.Cos(angle)), s = T.CreateChecked(Math.Sin(angle));
                    T a = x[o + i], b = x[o + i + half];
                    y[o + i] = a * c - b * s;
                    y[o + i + half] = b * c + a * s;
                }
            }
    }

    /// <summary>The transpose of <see cref="ReferenceForward{T}"/> applied to dy (accumulates into dx).</summary>
    internal static void ReferenceBackward<T>(ReadOnlySpan<T> dy, Span<T> dx, ReadOnlySpan<int> positions, int tokens, int heads, int headDim, double theta)
        where T : IFloatingPointIeee754<T>
    {
        int half = headDim / 2;
        for (int t = 0; t < tokens; t++)
            for (int h = 0; h < heads; h++)
            {
                int o = (t * heads + h) * headDim;
                for (int i = 0; i < half; i++)
                {
                    double angle = positions[t] * Math.Pow(theta, -2.0 * i / headDim);
                    T c = T.CreateChecked(Math.Cos(angle)), s = T.CreateChecked(Math.Sin(angle));
                    T a = dy[o + i], b = dy[o + i + half];
                    dx[o + i] += a * c + b * s;
                    dx[o + i + half] += b * c - a * s;
                }
            }
    }

    static void Apply(ReadOnlySpan<float> src, Span<float> dst, ReadOnlySpan<int> positions, int tokens, int heads, int headDim, float theta,
        bool inverse, bool accumulate, SimdWidth width, int threads)
    {
        ThrowHelper.CheckNonNegative(tokens);
        ThrowHelper.CheckAtLeast(heads, 1);
        if (headDim < 2 || headDim > MaxHeadDim || headDim % 2 != 0)
            throw new ArgumentOutOfRangeException(nameof(headDim), headDim, $"headDim must be even and in [2, {MaxHeadDim}].");
        if (!(theta > 0f) || float.IsInfinity(theta))
            throw new ArgumentOutOfRangeException(nameof(theta), theta, "theta must be positive and finite.");
        long size = (long)tokens * heads * headDim;
        string srcName = inverse ? "dy" : "x", dstName = inverse ? "dx" : "y";
        if (src.Length != size)
            ThrowHelper.LengthMismatch(srcName, src.Length, size, $"tokens × heads × headDim = {tokens} × {heads} × {headDim}");
        if (dst.Length != size)
            ThrowHelper.LengthMismatch(dstName, dst.Length, size, $"tokens × heads × headDim = {tokens} × {heads} × {headDim}");
        ThrowHelper.CheckOnePer(nameof(positions), positions.Length, "token", tokens);

        int parts = (int)Math.Min(ElementwiseLoop.Parts(size, threads), Math.Max(tokens, 1));
        fixed (float* ps = src, pd = dst)
        fixed (int* pp = positions)
        {
            if (parts == 1)
            {
                Tokens(ps, pd, pp, 0, tokens, heads, headDim, theta, inverse, accumulate, width);
                return;
            }
            var job = Job.Cached ??= new Job();
            job.Src = ps; job.Dst = pd; job.Positions = pp;
            job.Tokens = tokens; job.Heads = heads; job.HeadDim = headDim; job.Theta = theta;
            job.Inverse = inverse; job.Accumulate = accumulate; job.Width = width;
            ParallelRunner.Run(job, parts);
            job.Src = job.Dst = null;
            job.Positions = null;
        }
    }

    static void Tokens(float* src, float* dst, int* positions, int t0, int t1, int heads, int headDim, float theta,
        bool inverse, bool accumulate, SimdWidth width)
    {
        int half = headDim / 2;
        double* invFreq = stackalloc double[half];
        float* cos = stackalloc float[half];
        float* sin = stackalloc float[half];
        for (int i = 0; i < half; i++) invFreq[i] = Math.Pow(theta, -2.0 * i / headDim);
        for (int t = t0; t < t1; t++)
        {
            // One table per token serves all its heads; the angle's product and reduction in
            // double keep cos/sin correctly rounded to float at any int position.
            double pos = positions[t];
            for (int i = 0; i < half; i++)
            {
                (double s, double c) = Math.SinCos(pos * invFreq[i]);
                cos[i] = (float)c;
                sin[i] = inverse ? -(float)s : (float)s;
            }
            for (int h = 0; h < heads; h++)
            {
                long o = ((long)t * heads + h) * headDim;
                Rotate(src + o, dst + o, cos, sin, half, accumulate, width);
            }
        }
    }

    // lo' = lo·cos − hi·sin, hi' = hi·cos + lo·sin (sin already negated for the inverse). Both
    // halves are loaded before either is stored, so src and dst may alias.
    static void Rotate(float* src, float* dst, float* cos, float* sin, int half, bool accumulate, SimdWidth width)
    {
        int i = 0;
        if (width == SimdWidth.V512)
        {
            for (; i <= half - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var lo = Vector512.Load(src + i);
                var hi = Vector512.Load(src + half + i);
                var c = Vector512.Load(cos + i);
                var s = Vector512.Load(sin + i);
                var nlo = Vector512.FusedMultiplyAdd(lo, c, -(hi * s));
                var nhi = Vector512.FusedMultiplyAdd(hi, c, lo * s);
                if (accumulate)
                {
                    nlo += Vector512.Load(dst + i);
                    nhi += Vector512.Load(dst + half + i);
                }
                nlo.Store(dst + i);
                nhi.Store(dst + half + i);
            }
        }
        else if (width == SimdWidth.V256)
        {
            for (; i <= half - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var lo = Vector256.Load(src + i);
                var hi = Vector256.Load(src + half + i);
                var c = Vector256.Load(cos + i);
                var s = Vector256.Load(sin + i);
                var nlo = Vector256.FusedMultiplyAdd(lo, c, -(hi * s));
                var nhi = Vector256.FusedMultiplyAdd(hi, c, lo * s);
                if (accumulate)
                {
                    nlo += Vector256.Load(dst + i);
                    nhi += Vector256.Load(dst + half + i);
                }
                nlo.Store(dst + i);
                nhi.Store(dst + half + i);
            }
        }
        for (; i < half; i++)
        {
            float lo = src[i], hi = src[half + i];
            float nlo = MathF.FusedMultiplyAdd(lo, cos[i], -(hi * sin[i]));
            float nhi = MathF.FusedMultiplyAdd(hi, cos[i], lo * sin[i]);
            if (accumulate)
            {
                nlo += dst[i];
                nhi += dst[half + i];
            }
            dst[i] = nlo;
            dst[half + i] = nhi;
        }
    }

    sealed class Job : IParallelJob
    {
        [ThreadStatic] internal static Job? Cached;
        public float* Src, Dst;
        public int* Positions;
        public int Tokens, Heads, HeadDim;
        public float Theta;
        public bool Inverse, Accumulate;
        public SimdWidth Width;

        public void Execute(int part, int parts) =>
            Rope.Tokens(Src, Dst, Positions, LayerNorm.RowStart(Tokens, part, parts), LayerNorm.RowStart(Tokens, part + 1, parts),
                Heads, HeadDim, Theta, Inverse, Accumulate, Width);
    }
}
