using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// One bfloat16 weight row · one float32 activation row (a bf16 is the top half of a float: widen,
/// shift left 16), multiplied-added in float32 with two vector accumulators.
/// </summary>
internal static unsafe class DotBF16
{
    public static float Compute(byte* w, float* x, int n, SimdWidth width) => width switch
    {
        SimdWidth.V512 => V512((ushort*)w, x, n),
        SimdWidth.V256 => V256((ushort*)w, x, n),
        _ => Scalar((ushort*)w, x, n, 0, 0f),
    };

    internal static float Scalar(ushort* w, float* x, int n, int start, float acc)
    {
        for (int i = start; i < n; i++)
            acc = MathF.FusedMultiplyAdd(BitConverter.Int32BitsToSingle(Unsafe.ReadUnaligned<ushort>(w + i) << 16), x[i], acc);
        return acc;
    }

    static float V256(ushort* w, float* x, int n)
    {
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            var h = Vector256.Load(w + i);
            acc0 = Vector256.FusedMultiplyAdd(Vector256.ShiftLeft(Vector256.WidenLower(h), 16).AsSingle(), Vector256.Load(x + i), acc0);
            acc1 = Vector256.FusedMultiplyAdd(Vector256.ShiftLeft(Vector256.WidenUpper(h), 16).AsSingle(), Vector256.Load(x + i + 8), acc1);
        }
        return Scalar(w, x, n, i, Vector256.Sum(acc0 + acc1));
    }

    static float V512(ushort* w, float* x, int n)
    {
        var acc0 = Vector512<float>.Zero;
        var acc1 = Vector512<float>.Zero;
        int i = 0;
        for (; i + 32 <= n; i += 32)
        {
            var h = Vector512.Load(w + i);
            acc0 = Vector512.FusedMultiplyAdd(Vector512.ShiftLeft(Vector512.WidenLower(h), 16).AsSingle(), Vector512.Load(x + i), acc0);
            acc1 = Vector512.FusedMultiplyAdd(Vector512.ShiftLeft(Vector512.WidenUpper(h), 16).AsSingle(), Vector512.Load(x + i + 16), acc1);
        }
        return Scalar(w, x, n, i, Vector512.Sum(acc0 + acc1));
    }
}
