using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Tensors.Kernels.Quant;

public unsafe class QuantActivationsTests
{
    [Theory]
    [InlineData(32)]
    [InlineData(256)]
    public void Quantize_VectorPath_SameBytesAsScalarIncludingTies(int blockValues)
    {
        Assert.SkipUnless(Simd.IsSupported(SimdWidth.V512), "no V512 here");
        // Given random blocks, an all-zero block, and a block of exact halves (d = 1): ties round away
        // from zero for 32-value blocks (roundf) and to even for 256-value blocks (nearest_int).
        var rng = new Rng(31);
        int cols = blockValues * 4, tokens = 2;
        float[] x = Rand.Floats(rng, tokens * cols, 3f);
        Array.Clear(x, blockValues, blockValues);
        for (int i = 0; i < blockValues; i++) x[2 * blockValues + i] = (i % 2 == 0 ? 1 : -1) * ((i % 120) + 0.5f);
        x[2 * blockValues + 1] = -127f; // the block's max magnitude: d = 1 either way

        var act = QuantActivations.Get();
        act.Quantize(x, tokens, cols, blockValues, SimdWidth.Scalar);
        var (qs, scales, sums) = Copy(act, tokens * cols, blockValues);
        act.Quantize(x, tokens, cols, blockValues, SimdWidth.V512);
        var (qs2, scales2, sums2) = Copy(act, tokens * cols, blockValues);

        Assert.Equal(qs, qs2);
        Assert.Equal(scales, scales2);
        Assert.Equal(sums, sums2);
        // 4.5 and 6.5: roundf gives 5 and 7, nearest_int (ties to even) 4 and 6.
        Assert.Equal(blockValues == 32 ? 5 : 4, qs[2 * blockValues + 4]);
        Assert.Equal(blockValues == 32 ? 7 : 6, qs[2 * blockValues + 6]);
    }

    static (sbyte[] Qs, float[] Scales, short[] Sums) Copy(QuantActivations act, int values, int blockValues) =>
        (new Span<sbyte>(act.Qs, values).ToArray(), new Span<float>(act.Scales, values / blockValues).ToArray(),
         new Span<short>(act.Sums, values / 16).ToArray());
}
