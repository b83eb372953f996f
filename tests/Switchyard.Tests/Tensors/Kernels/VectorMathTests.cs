using System.Runtime.Intrinsics;
using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;

namespace Switchyard.Tests.Tensors.Kernels;

public partial class VectorMathTests
{
    static float[] Exp(SimdWidth width, float[] x)
    {
        var y = new float[x.Length];
        for (int i = 0; i < x.Length; i += 16)
        {
            var chunk = new float[16];
            Array.Copy(x, i, chunk, 0, Math.Min(16, x.Length - i));
            var r = new float[16];
            if (width == SimdWidth.V512) VectorMath.Exp(Vector512.Create(chunk)).CopyTo(r);
            else
            {
                VectorMath.Exp(Vector256.Create(chunk)).CopyTo(r);
                VectorMath.Exp(Vector256.Create(chunk, 8)).CopyTo(r, 8);
            }
            Array.Copy(r, 0, y, i, Math.Min(16, x.Length - i));
        }
        return y;
    }

    [Theory]
    [InlineData(SimdWidth.V256)]
    [InlineData(SimdWidth.V512)]
    public void Exp_WholeNormalRange_WithinOneUlp(SimdWidth width)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        const int n = 20000;
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = -87f + 175.7f * i / (n - 1); // results span the normal floats
        float[] y = Exp(width, x);
        for (int i = 0; i < n; i++)
        {
            float want = (float)Math.Exp(x[i]); // correctly rounded
            int ulps = Math.Abs(BitConverter.SingleToInt32Bits(y[i]) - BitConverter.SingleToInt32Bits(want));
            Assert.True(ulps <= 1, $"exp({x[i]:R}) = {y[i]:R}, want {want:R}");
        }
    }

    [Theory]
    [InlineData(SimdWidth.V256)]
    [InlineData(SimdWidth.V512)]
    public void Exp_SpecialValues_OverflowUnderflowAndNaN(SimdWidth width)
    {
        Assert.SkipUnless(Simd.IsSupported(width), $"no {width} here");
        float[] y = Exp(width, [0f, 89f, 1000f, float.PositiveInfinity, -104f, -1000f, float.NegativeInfinity, float.NaN, -100f, 88.7f]);
        Assert.Equal(1f, y[0]);
        Assert.Equal(float.PositiveInfinity, y[1]);
        Assert.Equal(float.PositiveInfinity, y[2]);
        Assert.Equal(float.PositiveInfinity, y[3]);
        Assert.Equal(0f, y[4]);
        Assert.Equal(0f, y[5]);
        Assert.Equal(0f, y[6]);
        Assert.True(float.IsNaN(y[7]));
        // e^−100 ≈ 3.7e-44 is subnormal: reached, not flushed.
        Assert.Equal(Math.Exp(-100), y[8], 3e-45);
        Assert.Equal(Math.Exp(88.7f), y[9], 2e-7 * Math.Exp(88.7f));
    }

    [Fact]
    public void Exp_AttentionRange_WithinFewUlpsOfMathExp()
    {
        // The former attention-private exp's test, kept on the shared one. Attention exponentiates s − max ∈ (−∞, 0]; rescale factors likewise.
        for (float x = -87f; x <= 10f; x += 0.01234f)
        {
            double expected = Math.Exp(x);
            double got = VectorMath.Exp(x);
            Assert.True(Math.Abs(got - expected) <= 4e-7 * expected, $"exp({x}) = {got}, expected {expected}");
        }
        Assert.Equal(0f, VectorMath.Exp(float.NegativeInfinity));
        Assert.Equal(1f, VectorMath.Exp(0f));
        Assert.True(float.IsNaN(VectorMath.Exp(float.NaN)));
    }
}
