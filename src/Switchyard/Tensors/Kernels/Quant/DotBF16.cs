using System.Runtime.CompilerServices;

namespace Switchyard.Tensors.Kernels;

/// <summary>One bfloat16 weight row · one float32 activation row (a bf16 is the top half of a float).</summary>
internal static unsafe class DotBF16
{
    public static float Compute(byte* w, float* x, int n, SimdWidth width) => Scalar((ushort*)w, x, n);

    internal static float Scalar(ushort* w, float* x, int n)
    {
        float acc = 0f;
        for (int i = 0; i < n; i++)
            acc = MathF.FusedMultiplyAdd(BitConverter.Int32BitsToSingle(Unsafe.ReadUnaligned<ushort>(w + i) << 16), x[i], acc);
        return acc;
    }
}
