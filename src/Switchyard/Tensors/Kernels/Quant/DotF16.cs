using System.Runtime.CompilerServices;

namespace Switchyard.Tensors.Kernels;

/// <summary>One IEEE-half weight row · one float32 activation row, the halves widened exactly on the fly.</summary>
internal static unsafe class DotF16
{
    public static float Compute(byte* w, float* x, int n, SimdWidth width) => Scalar((ushort*)w, x, n);

    internal static float Scalar(ushort* w, float* x, int n)
    {
        float acc = 0f;
        for (int i = 0; i < n; i++) acc = MathF.FusedMultiplyAdd(QuantMath.HalfToFloat(Unsafe.ReadUnaligned<ushort>(w + i)), x[i], acc);
        return acc;
    }
}
