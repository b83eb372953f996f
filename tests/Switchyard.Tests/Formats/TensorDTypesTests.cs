using Switchyard.Formats;

namespace Switchyard.Tests.Formats;

public class TensorDTypesTests
{
    [Theory]
    [InlineData(TensorDType.F32, 32)]
    [InlineData(TensorDType.BF16, 16)]
    [InlineData(TensorDType.F64, 64)]
    [InlineData(TensorDType.BOOL, 8)]
    [InlineData(TensorDType.F8_E4M3, 8)]
    [InlineData(TensorDType.F6_E2M3, 6)]
    [InlineData(TensorDType.F4, 4)]
    [InlineData(TensorDType.C64, 64)]
    public void BitSize_KnownTypes_MatchReferenceCrate(TensorDType dtype, int bits) => Assert.Equal(bits, dtype.BitSize());

    [Fact]
    public void TryParse_EveryName_RoundTripsAndIsCaseSensitive()
    {
        foreach (TensorDType d in Enum.GetValues<TensorDType>())
        {
            Assert.True(TensorDTypes.TryParse(d.Name(), out TensorDType back));
            Assert.Equal(d, back);
        }
        Assert.False(TensorDTypes.TryParse("f32", out _));
    }

    [Fact]
    public void ByteSize_SubByteAndOverflow_ReturnMinusOne()
    {
        Assert.Equal(3, TensorDType.F4.ByteSize(6));
        Assert.Equal(-1, TensorDType.F4.ByteSize(3));
        Assert.Equal(-1, TensorDType.F64.ByteSize(long.MaxValue / 2));
        Assert.Equal(0, TensorDType.F32.ByteSize(0));
    }

    [Fact]
    public void WriterRank_FollowsRustEnumOrder()
    {
        // The crate's Dtype enum, increasing alignment: its writer sorts by this, descending.
        TensorDType[] rust =
        [
            TensorDType.BOOL, TensorDType.F4, TensorDType.F6_E2M3, TensorDType.F6_E3M2, TensorDType.U8, TensorDType.I8,
            TensorDType.F8_E5M2, TensorDType.F8_E4M3, TensorDType.F8_E8M0, TensorDType.F8_E4M3FNUZ, TensorDType.F8_E5M2FNUZ,
            TensorDType.I16, TensorDType.U16, TensorDType.F16, TensorDType.BF16, TensorDType.I32, TensorDType.U32,
            TensorDType.F32, TensorDType.C64, TensorDType.F64, TensorDType.I64, TensorDType.U64,
        ];
        Assert.Equal(Enum.GetValues<TensorDType>().Length, rust.Length);
        for (int i = 0; i < rust.Length; i++) Assert.Equal(i, TensorDTypes.WriterRank(rust[i]));
    }

    [Theory]
    [InlineData(TensorDType.F8_E5M2, 0x7B, 57344f)]
    [InlineData(TensorDType.F8_E5M2, 0x7C, float.PositiveInfinity)]
    [InlineData(TensorDType.F8_E5M2, 0x01, 1.52587890625e-05f)] // 2^-16
    [InlineData(TensorDType.F8_E4M3, 0x7E, 448f)]
    [InlineData(TensorDType.F8_E4M3, 0x38, 1f)]
    [InlineData(TensorDType.F8_E4M3, 0xFF, float.NaN)]
    [InlineData(TensorDType.F8_E4M3FNUZ, 0x7F, 240f)]
    [InlineData(TensorDType.F8_E4M3FNUZ, 0x40, 1f)]
    [InlineData(TensorDType.F8_E4M3FNUZ, 0x80, float.NaN)]
    [InlineData(TensorDType.F8_E5M2FNUZ, 0x7F, 57344f)]
    [InlineData(TensorDType.F8_E5M2FNUZ, 0x40, 1f)]
    [InlineData(TensorDType.F8_E5M2FNUZ, 0x80, float.NaN)]
    [InlineData(TensorDType.F8_E8M0, 0x7F, 1f)]
    [InlineData(TensorDType.F8_E8M0, 0x80, 2f)]
    [InlineData(TensorDType.F8_E8M0, 0xFF, float.NaN)]
    [InlineData(TensorDType.U8, 0xFF, 255f)]
    [InlineData(TensorDType.I8, 0x80, -128f)]
    public void ToFloat32_EightBitTypes_KnownValues(TensorDType dtype, int bits, float expected)
    {
        Span<float> dst = stackalloc float[1];
        DTypeConverter.ToFloat32(dtype, [(byte)bits], dst);
        Assert.Equal(expected, dst[0]);
    }

    [Fact]
    public void ToFloat32_E4M3_MatchesHalfForEveryExactValue()
    {
        // Every finite E4M3 value is exactly representable in f16: compare against a direct formula.
        Span<float> dst = stackalloc float[1];
        for (int b = 0; b < 256; b++)
        {
            DTypeConverter.ToFloat32(TensorDType.F8_E4M3, [(byte)b], dst);
            int e = (b >> 3) & 15, m = b & 7;
            if (e == 15 && m == 7) { Assert.True(float.IsNaN(dst[0])); continue; }
            double v = e == 0 ? m / 8.0 * Math.Pow(2, -6) : (1 + m / 8.0) * Math.Pow(2, e - 7);
            Assert.Equal(b >= 128 ? -v : v, dst[0]);
        }
    }
}
