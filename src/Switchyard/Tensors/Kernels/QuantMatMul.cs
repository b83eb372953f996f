using System.Runtime.InteropServices;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// y = x·Wᵀ (+ beta·y) with W stored as rows of <see cref="GgmlType"/> blocks: the inference matmul over
/// float32, half-precision and quantized weights.
/// </summary>
/// <remarks>
/// F32 weights with up to <see cref="MatVecF32.MaxTokens"/> tokens (decode) stream each row once
/// (<see cref="MatVecF32"/>); more tokens go to <see cref="Gemm"/>, so an F32 prompt's rows may differ from
/// the same tokens decoded alone in the last bits. F16/BF16 weights are widened to float32 on the fly. For Q8_0/Q4_0 weights each row of x is quantized
/// once per call to 8-bit blocks of 32, for Q4_K/Q6_K to Q8_K blocks of 256, and every weight block
/// meets its activation block in an exact integer dot product; only the per-block scales are float
/// (docs/quantization.md gives the error this adds). Each y[t, o] is computed by the same instruction
/// sequence whatever the token count, the thread count or the row's place in the partition, so results
/// are bit-identical across thread counts and across batching (a prompt's last row equals the same
/// token decoded alone), and for the quantized types across vector widths too.
/// </remarks>
public static unsafe class QuantMatMul
{
    // Below this many multiply-adds a call runs on the calling thread: waking workers costs more.
    const long ParallelThreshold = 64 * 1024;

    /// <summary>
    /// y[t, o] = Σ_i x[t, i]·W[o, i] + beta·y[t, o] for x [tokens, inFeatures], W [outFeatures, inFeatures]
    /// encoded as <paramref name="type"/> rows in <paramref name="w"/>, y [tokens, outFeatures].
    /// Supported: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K.
    /// </summary>
    /// <exception cref="ArgumentException">A span's length does not match the sizes, or inFeatures is not a whole number of blocks.</exception>
    /// <exception cref="NotSupportedException">No kernel for <paramref name="type"/>.</exception>
    public static void Multiply(GgmlType type, ReadOnlySpan<byte> w, ReadOnlySpan<float> x, Span<float> y,
        int tokens, int outFeatures, int inFeatures, float beta = 0f) =>
        Multiply(type, w, x, y, tokens, outFeatures, inFeatures, beta, Simd.Best, ParallelRunner.Threads);

    /// <summary>Whether <see cref="Multiply(GgmlType, ReadOnlySpan{byte}, ReadOnlySpan{float}, Span{float}, int, int, int, float)"/> has a kernel for <paramref name="type"/>.</summary>
    public static bool IsSupported(GgmlType type) => type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16
        or GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q4_K or GgmlType.Q6_K;

    internal static void Multiply(GgmlType type, ReadOnlySpan<byte> w, ReadOnlySpan<float> x, Span<float> y,
        int tokens, int outFeatures, int inFeatures, float beta, SimdWidth width, int threads)
    {
        if (type == GgmlType.F32 && tokens <= MatVecF32.MaxTokens)
        {
            CheckSizes(type, w, x, y, tokens, outFeatures, inFeatures);
            fixed (byte* pw = w)
            fixed (float* px = x, py = y)
                MatVecF32.Multiply((float*)pw, px, py, tokens, outFeatures, inFeatures, beta, width, threads);
            return;
        }
        if (type == GgmlType.F32)
        {
            Gemm.Multiply(x, MemoryMarshal.Cast<byte, float>(w), y, tokens, outFeatures, inFeatures,
                transA: false, transB: true, beta, width, threads);
            return;
        }
        if (!IsSupported(type)) throw new NotSupportedException($"no matmul kernel for {type} weights");
        int rowBytes = CheckSizes(type, w, x, y, tokens, outFeatures, inFeatures);
        if (tokens == 0 || outFeatures == 0) return;

        var job = QuantMatMulJob.Get();
        fixed (byte* pw = w)
        fixed (float* px = x, py = y)
        {
            job.Type = type; job.W = pw; job.X = px; job.Y = py;
            job.Tokens = tokens; job.Out = outFeatures; job.In = inFeatures; job.RowBytes = rowBytes;
            job.Beta = beta; job.Width = width;
            int blockValues = type switch
            {
                GgmlType.Q8_0 or GgmlType.Q4_0 => 32,
                GgmlType.Q4_K or GgmlType.Q6_K => 256,
                _ => 0,
            };
            if (blockValues != 0)
            {
                var act = QuantActivations.Get();
                act.Quantize(x, tokens, inFeatures, blockValues, width);
                job.Act = act;
            }
            long work = (long)tokens * outFeatures * inFeatures;
            int parts = threads <= 1 || work < ParallelThreshold ? 1
                : (int)Math.Min(Math.Min(threads, outFeatures), Math.Max(1, work / (ParallelThreshold / 2)));
            if (parts == 1) job.Execute(0, 1);
            else ParallelRunner.Run(job, parts);
            job.Clear();
        }
    }

    /// <summary>
    /// The definition, as the test oracle: each W row dequantized exactly (<see cref="Dequantizer"/>), then
    /// double-precision dot products with the float x. y[t, o] = Σ x·W + beta·y.
    /// </summary>
    internal static void Reference(GgmlType type, ReadOnlySpan<byte> w, ReadOnlySpan<float> x, Span<double> y,
        int tokens, int outFeatures, int inFeatures, double beta = 0)
    {
        int rowBytes = checked((int)GgmlTypes.RowBytes(type, inFeatures));
        var row = new float[inFeatures];
        for (int o = 0; o < outFeatures; o++)
        {
            Dequantizer.DequantizeRow(type, w.Slice(o * rowBytes, rowBytes), row);
            for (int t = 0; t < tokens; t++)
            {
                double s = 0;
                for (int i = 0; i < inFeatures; i++) s += (double)x[t * inFeatures + i] * row[i];
                int at = t * outFeatures + o;
                y[at] = beta == 0 ? s : s + beta * y[at];
            }
        }
    }

    static int CheckSizes(GgmlType type, ReadOnlySpan<byte> w, ReadOnlySpan<float> x, ReadOnlySpan<float> y,
        int tokens, int outFeatures, int inFeatures)
    {
        ThrowHelper.CheckNonNegative(tokens);
        ThrowHelper.CheckNonNegative(outFeatures);
        ThrowHelper.CheckNonNegative(inFeatures);
        int block = GgmlTypes.BlockSize(type);
        if (inFeatures % block != 0)
            throw new ArgumentException(
                $"inFeatures {inFeatures} is not a whole number of {type} blocks of {block} values.", nameof(inFeatures));
        int rowBytes = inFeatures / block * GgmlTypes.TypeSize(type);
        if (w.Length != (long)outFeatures * rowBytes)
            ThrowHelper.LengthMismatch(nameof(w), w.Length, (long)outFeatures * rowBytes,
                $"outFeatures {outFeatures} × {rowBytes} bytes per {type} row of {inFeatures} values");
        ThrowHelper.CheckLength(nameof(x), x.Length, nameof(tokens), tokens, nameof(inFeatures), inFeatures);
        ThrowHelper.CheckLength(nameof(y), y.Length, nameof(tokens), tokens, nameof(outFeatures), outFeatures);
        return rowBytes;
    }
}
