using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;

namespace Switchyard.Tests.Tensors.Kernels.Quant;

public class QuantizerTests
{
    [Fact]
    public void QuantizeRow_Q8_0HandChosenRows_MatchesHandComputedBytes()
    {
        // Given block 0 with amax 127 (d = 1, f16 0x3C00), block 1 with amax 63.5 (d = 0.5, f16 0x3800,
        // 1/d = 2), block 2 all zero. roundf rounds halves away from zero.
        float[] x = new float[96];
        x[0] = 127f; x[1] = -63.5f; x[2] = 0.5f; x[3] = -0.5f; x[4] = 2.5f; x[5] = 1.49f; x[6] = -127f; x[31] = 3f;
        x[32] = 63.5f; x[33] = -63.5f; x[34] = 0.25f; x[35] = -0.75f; x[36] = 10.1f; x[63] = -0.2f;
        var expected = new byte[3 * 34];
        expected[0] = 0x00; expected[1] = 0x3C;
        sbyte[] q0 = [127, -64, 1, -1, 3, 1, -127];
        for (int j = 0; j < q0.Length; j++) expected[2 + j] = (byte)q0[j];
        expected[2 + 31] = 3;
        expected[34] = 0x00; expected[35] = 0x38;
        sbyte[] q1 = [127, -127, 1, -2, 20];
        for (int j = 0; j < q1.Length; j++) expected[36 + j] = (byte)q1[j];
        expected[36 + 31] = 0; // −0.4 rounds to 0

        // When
        var actual = new byte[3 * 34];
        Quantizer.QuantizeRow(GgmlType.Q8_0, x, actual);

        // Then
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void QuantizeRow_Q4_0HandChosenRows_MatchesHandComputedBytes()
    {
        // Given block 0 whose largest magnitude is −8 (d = −8/−8 = 1, f16 0x3C00), so q = min(15, trunc(x + 8.5));
        // block 1 whose largest is +4 (d = −0.5, f16 0xB800, 1/d = −2), so q = min(15, trunc(−2x + 8.5)).
        float[] x = new float[64];
        x[0] = -8f; x[1] = 7f; x[2] = 7.9f; x[3] = -0.6f; x[4] = 0.5f; x[5] = -3.5f;
        x[16] = 1f; x[17] = -2f;
        x[32] = 4f; x[33] = -4f; x[34] = 1f; x[35] = -1f; x[36] = 0.3f;
        x[48] = 2f;
        int[] q0 = new int[32], q1 = new int[32];
        Array.Fill(q0, 8); // 0 + 8.5 → 8
        Array.Fill(q1, 8);
        q0[0] = 0; q0[1] = 15; q0[2] = 15; q0[3] = 7; q0[4] = 9; q0[5] = 5; q0[16] = 9; q0[17] = 6;
        q1[0] = 0; q1[1] = 15; q1[2] = 6; q1[3] = 10; q1[4] = 7; q1[16] = 4;
        var expected = new byte[36];
        expected[0] = 0x00; expected[1] = 0x3C;
        expected[18] = 0x00; expected[19] = 0xB8;
        for (int j = 0; j < 16; j++)
        {
            expected[2 + j] = (byte)(q0[j] | (q0[j + 16] << 4));
            expected[20 + j] = (byte)(q1[j] | (q1[j + 16] << 4));
        }

        // When
        var actual = new byte[36];
        Quantizer.QuantizeRow(GgmlType.Q4_0, x, actual);

        // Then
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void QuantizeRow_HalfTypes_RoundToNearestEven()
    {
        float[] x = [1f, -2f, 65504f, 1f + 1f / 2048];
        var f16 = new byte[8];
        Quantizer.QuantizeRow(GgmlType.F16, x, f16);
        Assert.Equal(new byte[] { 0x00, 0x3C, 0x00, 0xC0, 0xFF, 0x7B, 0x00, 0x3C }, f16); // 1 + 2⁻¹¹ is a tie: even 1
        var bf16 = new byte[8];
        Quantizer.QuantizeRow(GgmlType.BF16, [1f, -3f, 1f + 1f / 256, 1f + 3f / 256], bf16);
        Assert.Equal(new byte[] { 0x80, 0x3F, 0x40, 0xC0, 0x80, 0x3F, 0x82, 0x3F }, bf16); // 1 + 2⁻⁸ ties to even 1
    }

    public static TheoryData<GgmlType> Types() =>
        [GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.Q8_K];

    [Theory, MemberData(nameof(Types))]
    public void QuantizeThenDequantize_RandomRows_ErrorWithinTypeBound(GgmlType type)
    {
        // Given rows whose blocks have very different ranges (scales are per block)
        var rng = new Rng(20261125);
        const int n = 1024;
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (2 * rng.NextFloat() - 1) * MathF.Pow(10, (i / 256) - 2);
        var bytes = new byte[GgmlTypes.RowBytes(type, n)];
        var back = new float[n];

        // When
        Quantizer.QuantizeRow(type, x, bytes);
        Dequantizer.DequantizeRow(type, bytes, back);

        // Then: each value within the bound of its block
        int block = type switch { GgmlType.Q8_0 or GgmlType.Q4_0 => 32, GgmlType.Q4_K or GgmlType.Q6_K or GgmlType.Q8_K => 256, _ => 1 };
        for (int b = 0; b < n / block; b++)
        {
            float amax = 0;
            for (int i = 0; i < block; i++) amax = MathF.Max(amax, MathF.Abs(x[b * block + i]));
            double sq = 0;
            for (int i = 0; i < block; i++)
            {
                float v = x[b * block + i];
                double err = Math.Abs((double)back[b * block + i] - v);
                sq += err * err;
                double bound = type switch
                {
                    GgmlType.F32 => 0,
                    GgmlType.F16 => Math.Abs(v) * Math.Pow(2, -11) + 3e-8, // half an ulp, or the subnormal step
                    GgmlType.BF16 => Math.Abs(v) * Math.Pow(2, -8),
                    // Half a step (amax/127) plus the f16 rounding of d times |q| ≤ 127.
                    GgmlType.Q8_0 => amax * (0.5 / 127 + Math.Pow(2, -11)) * 1.001,
                    GgmlType.Q8_K => amax * (0.5 / 127) * 1.001,
                    // Half a step (d = amax/8), except when max is negative: values in [7.5d, 8d] then clamp
                    // to q − 8 = 7 and land up to a whole step off (ggml's asymmetric grid).
                    GgmlType.Q4_0 => amax * (1.0 / 8 + Math.Pow(2, -10)),
                    // Measured bounds (the searches do not give a closed form): 4-bit sub-blocks of 32 with
                    // 6-bit scales and mins, 6-bit values in sub-blocks of 16 with int8 scales.
                    GgmlType.Q4_K => amax * 0.14,
                    GgmlType.Q6_K => amax * 0.035,
                    _ => throw new InvalidOperationException(),
                };
                Assert.True(err <= bound, $"{type} x[{b * block + i}] = {v} came back as {back[b * block + i]} (err {err:g3} > {bound:g3})");
            }
            double rms = Math.Sqrt(sq / block);
            double rmsBound = type switch { GgmlType.Q4_K => amax * 0.045, GgmlType.Q6_K => amax * 0.011, _ => double.MaxValue };
            Assert.True(rms <= rmsBound, $"{type} block {b}: rms error {rms:g3} > {rmsBound:g3}");
        }
    }

    [Theory, MemberData(nameof(Types))]
    public void QuantizeRow_ZeroRow_DequantizesToZeros(GgmlType type)
    {
        int n = 512;
        var bytes = new byte[GgmlTypes.RowBytes(type, n)];
        Array.Fill(bytes, (byte)0xAB); // garbage the quantizer must overwrite
        var back = new float[n];
        Quantizer.QuantizeRow(type, new float[n], bytes);
        Dequantizer.DequantizeRow(type, bytes, back);
        Assert.All(back, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void QuantizeRow_SourceNotWholeBlocks_ThrowsNamingLengths()
    {
        var e = Assert.Throws<ArgumentException>(() => Quantizer.QuantizeRow(GgmlType.Q4_K, new float[300], new byte[144]));
        Assert.Equal("src", e.ParamName);
        Assert.Contains("300", e.Message);
        Assert.Contains("256", e.Message);
    }

    [Fact]
    public void QuantizeRow_DestinationWrongLength_ThrowsNamingLengths()
    {
        var e = Assert.Throws<ArgumentException>(() => Quantizer.QuantizeRow(GgmlType.Q8_0, new float[64], new byte[67]));
        Assert.Equal("dst", e.ParamName);
        Assert.Contains("67", e.Message);
        Assert.Contains("68", e.Message);
    }

    [Fact]
    public void QuantizeRow_UnsupportedType_ThrowsNotSupported()
    {
        Assert.Throws<NotSupportedException>(() => Quantizer.QuantizeRow(GgmlType.Q5_K, new float[256], new byte[176]));
    }
}
