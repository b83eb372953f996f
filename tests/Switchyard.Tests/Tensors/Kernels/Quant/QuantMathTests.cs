using System.Runtime.Intrinsics;
using Switchyard.Tensors.Kernels;

namespace Switchyard.Tests.Tensors.Kernels.Quant;

public class QuantMathTests
{
    [Fact]
    public void HalfToFloat_EveryHalf_SameBitsAsBitConverter()
    {
        var lanes = new uint[16];
        for (int h = 0; h < 65536; h += 16)
        {
            for (int j = 0; j < 16; j++) lanes[j] = (uint)(h + j);
            var v256 = QuantMath.HalfToFloat(Vector256.Create(lanes.AsSpan(0, 8)));
            var v512 = QuantMath.HalfToFloat(Vector512.Create(lanes));
            for (int j = 0; j < 16; j++)
            {
                float reference = (float)BitConverter.UInt16BitsToHalf((ushort)(h + j));
                if (float.IsNaN(reference))
                {
                    // NaN stays NaN (payload bits are not part of the contract).
                    Assert.True(float.IsNaN(QuantMath.HalfToFloat((ushort)(h + j))) && float.IsNaN(v512[j]) && (j >= 8 || float.IsNaN(v256[j])));
                    continue;
                }
                uint expected = BitConverter.SingleToUInt32Bits(reference);
                Assert.Equal(expected, BitConverter.SingleToUInt32Bits(QuantMath.HalfToFloat((ushort)(h + j))));
                Assert.Equal(expected, BitConverter.SingleToUInt32Bits(v512[j]));
                if (j < 8) Assert.Equal(expected, BitConverter.SingleToUInt32Bits(v256[j]));
            }
        }
    }

    [Theory]
    [InlineData(0.5f, 0)]
    [InlineData(1.5f, 2)]
    [InlineData(2.5f, 2)]
    [InlineData(-2.5f, -2)]
    [InlineData(-3.4f, -3)]
    [InlineData(126.6f, 127)]
    public void NearestInt_Halves_RoundToEven(float v, int expected) => Assert.Equal(expected, QuantMath.NearestInt(v));
}
