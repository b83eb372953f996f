using System.Runtime.InteropServices;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// y = x·Wᵀ (+ beta·y) with W stored as rows of <see cref="GgmlType"/> blocks: the inference matmul over
/// float32, half-precision and quantized weights.
/// </summary>
public static class QuantMatMul
{
    /// <summary>
    /// y[t, o] = Σ_i x[t, i]·W[o, i] + beta·y[t, o] for x [tokens, inFeatures], W [outFeatures, inFeatures]
    /// encoded as <paramref name="type"/> rows in <paramref name="w"/>, y [tokens, outFeatures].
    /// </summary>
    /// <exception cref="ArgumentException">A span is shorter than the sizes need.</exception>
    /// <exception cref="NotSupportedException">No kernel for <paramref name="type"/>.</exception>
    public static void Multiply(GgmlType type, ReadOnlySpan<byte> w, ReadOnlySpan<float> x, Span<float> y,
        int tokens, int outFeatures, int inFeatures, float beta = 0f)
    {
        switch (type)
        {
            case GgmlType.F32:
                Gemm.Multiply(x, MemoryMarshal.Cast<byte, float>(w), y, tokens, outFeatures, inFeatures, transB: true, beta: beta);
                break;
            default:
                throw new NotSupportedException($"no matmul kernel for {type} weights yet");
        }
    }
}
