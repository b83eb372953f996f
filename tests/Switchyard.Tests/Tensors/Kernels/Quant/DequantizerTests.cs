using System.Buffers.Binary;
using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;

namespace Switchyard.Tests.Tensors.Kernels.Quant;

public class DequantizerTests
{
    [Fact]
    public void DequantizeRow_Q8_0HandBuiltBlock_IsQTimesD()
    {
        var block = new byte[34];
        block[0] = 0x00; block[1] = 0x38; // d = 0.5
        for (int j = 0; j < 32; j++) block[2 + j] = (byte)(sbyte)(j * 8 - 128);
        var y = new float[32];
        Dequantizer.DequantizeRow(GgmlType.Q8_0, block, y);
        for (int j = 0; j < 32; j++) Assert.Equal((j * 8 - 128) * 0.5f, y[j]);
    }

    [Fact]
    public void DequantizeRow_Q4_0HandBuiltBlock_LowNibblesFirstThenHigh()
    {
        var block = new byte[18];
        block[0] = 0x00; block[1] = 0x40; // d = 2
        for (int j = 0; j < 16; j++) block[2 + j] = (byte)(j | ((15 - j) << 4));
        var y = new float[32];
        Dequantizer.DequantizeRow(GgmlType.Q4_0, block, y);
        for (int j = 0; j < 16; j++)
        {
            Assert.Equal((j - 8) * 2f, y[j]);
            Assert.Equal((15 - j - 8) * 2f, y[j + 16]);
        }
    }

    [Fact]
    public void DequantizeRow_Q4_KHandPackedScales_EverySubBlockUsesItsScaleAndMin()
    {
        // Given d = 1, dmin = 0.5 and these 6-bit scales and mins, packed by hand as get_scale_min_k4 reads them:
        int[] sc = [1, 2, 3, 4, 17, 33, 63, 48], mn = [5, 6, 7, 8, 20, 40, 63, 0];
        // bytes 0–3: sc0–3 | top two bits of sc4–7 (17→1, 33→2, 63→3, 48→3) in bits 6–7;
        // bytes 4–7: m0–3 | top two bits of m4–7 (20→1, 40→2, 63→3, 0→0);
        // bytes 8–11: low nibble sc4–7 | low nibble m4–7 << 4.
        byte[] packed = [1 | 1 << 6, 2 | 2 << 6, 3 | 3 << 6, 4 | 3 << 6, 5 | 1 << 6, 6 | 2 << 6, 7 | 3 << 6, 8, 1 | 4 << 4, 1 | 8 << 4, 15 | 15 << 4, 0];
        var block = new byte[144];
        block[0] = 0x00; block[1] = 0x3C;
        block[2] = 0x00; block[3] = 0x38;
        packed.CopyTo(block, 4);
        for (int c = 0; c < 4; c++)
            for (int i = 0; i < 32; i++)
                block[16 + 32 * c + i] = (byte)(((i + c) % 16) | ((15 - i % 16) << 4));

        // When
        var y = new float[256];
        Dequantizer.DequantizeRow(GgmlType.Q4_K, block, y);

        // Then: sub-block 2c from the low nibbles of bytes 32c.., sub-block 2c + 1 from their high nibbles
        for (int c = 0; c < 4; c++)
        {
            for (int i = 0; i < 32; i++)
            {
                Assert.Equal(1f * sc[2 * c] * ((i + c) % 16) - 0.5f * mn[2 * c], y[64 * c + i]);
                Assert.Equal(1f * sc[2 * c + 1] * (15 - i % 16) - 0.5f * mn[2 * c + 1], y[64 * c + 32 + i]);
            }
        }
    }

    [Fact]
    public void PackScales_All6BitValues_RoundTripThroughScaleMin()
    {
        var rng = new Rng(5);
        Span<byte> packed = stackalloc byte[12];
        for (int trial = 0; trial < 200; trial++)
        {
            byte[] s = new byte[8], m = new byte[8];
            for (int j = 0; j < 8; j++) { s[j] = (byte)rng.NextInt(64); m[j] = (byte)rng.NextInt(64); }
            BlockQ4_K.PackScales(s, m, packed);
            for (int j = 0; j < 8; j++)
            {
                var (scale, min) = BlockQ4_K.ScaleMin(j, packed);
                Assert.Equal(s[j], scale);
                Assert.Equal(m[j], min);
            }
        }
    }

    [Fact]
    public void DequantizeRow_Q6_KHandBuiltBlock_QlQhAndScalesArrangement()
    {
        // Given value v of the super-block with 6-bit code q(v) = (7v + 3) mod 64 and the 16 int8 scales g − 8,
        // placed as block_q6_K documents: in half h (values 128h..128h+127, ql bytes 64h.., qh bytes 32h..),
        // value 128h + l + 32k (l < 32) takes the low nibble of ql[l] (k = 0), of ql[l + 32] (k = 1), the
        // high nibble of ql[l] (k = 2), of ql[l + 32] (k = 3), and bits 2k, 2k + 1 of qh[l].
        static int Q(int v) => (7 * v + 3) % 64;
        var block = new byte[210];
        for (int h = 0; h < 2; h++)
        {
            for (int l = 0; l < 32; l++)
            {
                int v = 128 * h + l;
                block[64 * h + l] = (byte)((Q(v) & 15) | (Q(v + 64) & 15) << 4);
                block[64 * h + 32 + l] = (byte)((Q(v + 32) & 15) | (Q(v + 96) & 15) << 4);
                block[128 + 32 * h + l] = (byte)(Q(v) >> 4 | (Q(v + 32) >> 4) << 2 | (Q(v + 64) >> 4) << 4 | (Q(v + 96) >> 4) << 6);
            }
        }
        for (int g = 0; g < 16; g++) block[192 + g] = (byte)(sbyte)(g - 8);
        block[208] = 0x00; block[209] = 0x38; // d = 0.5

        // When
        var y = new float[256];
        Dequantizer.DequantizeRow(GgmlType.Q6_K, block, y);

        // Then
        for (int v = 0; v < 256; v++) Assert.Equal(0.5f * (v / 16 - 8) * (Q(v) - 32), y[v]);
    }

    [Fact]
    public void DequantizeRow_Q8_KHandBuiltBlock_IsDTimesQ()
    {
        var block = new byte[292];
        BinaryPrimitives.WriteSingleLittleEndian(block, 0.25f);
        for (int j = 0; j < 256; j++) block[4 + j] = (byte)(sbyte)(j - 128);
        var y = new float[256];
        Dequantizer.DequantizeRow(GgmlType.Q8_K, block, y);
        for (int j = 0; j < 256; j++) Assert.Equal(0.25f * (j - 128), y[j]);
    }

    [Fact]
    public void QuantizeRow_Q8_K_WritesGroupSums()
    {
        var rng = new Rng(9);
        var x = new float[512];
        rng.FillUniform(x, -3, 3);
        var block = new byte[2 * 292];
        Quantizer.QuantizeRow(GgmlType.Q8_K, x, block);
        for (int b = 0; b < 2; b++)
            for (int g = 0; g < 16; g++)
            {
                int sum = 0;
                for (int i = 0; i < 16; i++) sum += (sbyte)block[292 * b + 4 + 16 * g + i];
                Assert.Equal(sum, BinaryPrimitives.ReadInt16LittleEndian(block.AsSpan(292 * b + 260 + 2 * g)));
            }
    }

    [Fact]
    public void DequantizeRow_HalfTypes_Exact()
    {
        byte[] f16 = [0x00, 0x3C, 0x00, 0xC0, 0xFF, 0x7B, 0x01, 0x00, 0x00, 0x7C, 0x00, 0x80];
        var y = new float[6];
        Dequantizer.DequantizeRow(GgmlType.F16, f16, y);
        Assert.Equal([1f, -2f, 65504f, MathF.Pow(2, -24), float.PositiveInfinity, -0f], y);
        byte[] bf16 = [0x80, 0x3F, 0x40, 0xC0];
        var z = new float[2];
        Dequantizer.DequantizeRow(GgmlType.BF16, bf16, z);
        Assert.Equal([1f, -3f], z);
    }

    [Fact]
    public void DequantizeRow_SourceWrongLength_ThrowsNamingLengths()
    {
        var e = Assert.Throws<ArgumentException>(() => Dequantizer.DequantizeRow(GgmlType.Q6_K, new byte[209], new float[256]));
        Assert.Equal("src", e.ParamName);
        Assert.Contains("209", e.Message);
        Assert.Contains("210", e.Message);
        var f = Assert.Throws<ArgumentException>(() => Dequantizer.DequantizeRow(GgmlType.Q4_0, new byte[18], new float[31]));
        Assert.Equal("dst", f.ParamName);
        Assert.Contains("31", f.Message);
    }
}
