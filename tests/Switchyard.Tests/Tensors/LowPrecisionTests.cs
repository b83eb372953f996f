using Switchyard.Tensors;

namespace Switchyard.Tests.Tensors;

public class LowPrecisionTests
{
    [Theory]
    [InlineData(1.0f, (ushort)0x3F80)]
    [InlineData(-2.0f, (ushort)0xC000)]
    [InlineData(1.00390625f, (ushort)0x3F80)] // exactly halfway: ties to even (down)
    [InlineData(1.01171875f, (ushort)0x3F82)] // halfway above an odd mantissa: rounds up to even
    public void ToBFloat16Bits_KnownValues_RoundToNearestEven(float value, ushort expected) =>
        Assert.Equal(expected, LowPrecision.ToBFloat16Bits(BitConverter.SingleToUInt32Bits(value)));

    [Fact]
    public void BFloat16_NaN_StaysNaN()
    {
        ushort b = LowPrecision.ToBFloat16Bits(BitConverter.SingleToUInt32Bits(float.NaN));
        Span<float> back = stackalloc float[1];
        LowPrecision.FromBFloat16([b], back);
        Assert.True(float.IsNaN(back[0]));
    }

    [Fact]
    public void Half_RoundTrip_IsExactForRepresentableValues()
    {
        float[] values = [0f, -0f, 1f, 0.5f, 65504f, -3.140625f, 6.1035156e-05f];
        var bits = new ushort[values.Length];
        var back = new float[values.Length];
        LowPrecision.ToHalf(values, bits);
        LowPrecision.FromHalf(bits, back);
        Assert.Equal(values, back);
    }

    [Fact]
    public void BFloat16_RandomValues_RelativeErrorBelowHalfUlp()
    {
        var rng = new Rng(3);
        var x = new float[1000];
        rng.FillNormal(x, 10f);
        var bits = new ushort[x.Length];
        var back = new float[x.Length];
        LowPrecision.ToBFloat16(x, bits);
        LowPrecision.FromBFloat16(bits, back);
        for (int i = 0; i < x.Length; i++)
            Assert.True(Math.Abs(back[i] - x[i]) <= Math.Abs(x[i]) * (1.0 / 256), $"{x[i]} -> {back[i]}");
    }
}
