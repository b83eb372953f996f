using System.Buffers.Binary;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// ggml's <c>block_q6_K</c>: a 256-value super-block of 16 sub-blocks of 16 as
/// { uint8 ql[128]; uint8 qh[64]; int8 scales[16]; f16 d } (210 bytes); x = d·scales[v/16]·(q − 32).
/// Each half (128 values) uses 64 ql bytes and 32 qh bytes: for l &lt; 32, value l takes the low nibble
/// of ql[l] and bits 0–1 of qh[l]; value l + 32 the low nibble of ql[l + 32] and bits 2–3; value l + 64
/// the high nibble of ql[l] and bits 4–5; value l + 96 the high nibble of ql[l + 32] and bits 6–7.
/// </summary>
internal static class BlockQ6_K
{
    public const int Values = 256, Bytes = 210, QhAt = 128, ScalesAt = 192, DAt = 208;

    // ggml's GROUP_MAX_EPS: below this a group counts as all zero.
    const float GroupMaxEps = 1e-15f;

    /// <summary>
    /// <c>quantize_row_q6_K_ref</c>: per sub-block a scale from <see cref="MakeQxQuants"/> (nmax 32,
    /// rmse_type 1), the 16 scales quantized to int8 against the largest, values requantized to [−32, 31].
    /// </summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        Span<byte> l = stackalloc byte[Values];
        Span<float> scales = stackalloc float[16];
        int blocks = src.Length / Values;
        for (int b = 0; b < blocks; b++)
        {
            ReadOnlySpan<float> x = src.Slice(b * Values, Values);
            Span<byte> block = dst.Slice(b * Bytes, Bytes);
            float maxScale = 0f, maxAbsScale = 0f;
            for (int j = 0; j < 16; j++)
            {
                float scale = MakeQxQuants(x.Slice(16 * j, 16), l.Slice(16 * j, 16), nmax: 32);
                scales[j] = scale;
                if (MathF.Abs(scale) > maxAbsScale) { maxAbsScale = MathF.Abs(scale); maxScale = scale; }
            }
            if (maxAbsScale < GroupMaxEps)
            {
                block.Clear();
                continue;
            }
            float iscale = -128f / maxScale;
            QuantMath.WriteHalf(block, DAt, 1 / iscale);
            float d = QuantMath.RoundToHalf(1 / iscale);
            for (int j = 0; j < 16; j++)
                block[ScalesAt + j] = (byte)(sbyte)Math.Min(127, QuantMath.NearestInt(iscale * scales[j]));
            for (int j = 0; j < 16; j++)
            {
                float dj = d * (sbyte)block[ScalesAt + j];
                if (dj == 0f) continue;
                for (int i = 0; i < 16; i++)
                    l[16 * j + i] = (byte)(Math.Clamp(QuantMath.NearestInt(x[16 * j + i] / dj), -32, 31) + 32);
            }
            Span<byte> ql = block.Slice(0, 128), qh = block.Slice(QhAt, 64);
            for (int half = 0; half < 2; half++)
            {
                int v = 128 * half;
                for (int i = 0; i < 32; i++)
                {
                    ql[64 * half + i] = (byte)((l[v + i] & 0xF) | ((l[v + i + 64] & 0xF) << 4));
                    ql[64 * half + i + 32] = (byte)((l[v + i + 32] & 0xF) | ((l[v + i + 96] & 0xF) << 4));
                    qh[32 * half + i] = (byte)((l[v + i] >> 4) | ((l[v + i + 32] >> 4) << 2)
                        | ((l[v + i + 64] >> 4) << 4) | ((l[v + i + 96] >> 4) << 6));
                }
            }
        }
    }

    /// <summary>
    /// ggml's <c>make_qx_quants</c> with rmse_type 1 and no importance weights (w = x²): symmetric
    /// L in [−nmax, nmax − 1] stored as L + nmax, trying inverse scales −(nmax + 0.1·k)/max, k = −9..9,
    /// and keeping the one with the best weighted least-squares fit. Returns the scale.
    /// </summary>
    internal static float MakeQxQuants(ReadOnlySpan<float> x, Span<byte> l, int nmax)
    {
        int n = x.Length;
        float max = 0, amax = 0;
        for (int i = 0; i < n; i++)
        {
            float ax = MathF.Abs(x[i]);
            if (ax > amax) { amax = ax; max = x[i]; }
        }
        if (amax < GroupMaxEps)
        {
            l.Slice(0, n).Clear();
            return 0f;
        }
        float iscale = -nmax / max;
        float sumLX = 0, sumL2 = 0;
        for (int i = 0; i < n; i++)
        {
            int q = Math.Max(-nmax, Math.Min(nmax - 1, QuantMath.NearestInt(iscale * x[i])));
            l[i] = (byte)(q + nmax);
            float w = x[i] * x[i];
            sumLX += w * x[i] * q;
            sumL2 += w * q * q;
        }
        float scale = sumL2 != 0 ? sumLX / sumL2 : 0f;
        float best = scale * sumLX;
        for (int k = -9; k <= 9; k++)
        {
            if (k == 0) continue;
            iscale = -(nmax + 0.1f * k) / max;
            sumLX = sumL2 = 0;
            for (int i = 0; i < n; i++)
            {
                int q = Math.Max(-nmax, Math.Min(nmax - 1, QuantMath.NearestInt(iscale * x[i])));
                float w = x[i] * x[i];
                sumLX += w * x[i] * q;
                sumL2 += w * q * q;
            }
            if (sumL2 > 0 && sumLX * sumLX > best * sumL2)
            {
                for (int i = 0; i < n; i++)
                    l[i] = (byte)(nmax + Math.Max(-nmax, Math.Min(nmax - 1, QuantMath.NearestInt(iscale * x[i]))));
                scale = sumLX / sumL2;
                best = scale * sumLX;
            }
        }
        return scale;
    }

    /// <summary><c>dequantize_row_q6_K</c>: x = (d·scale)·(q − 32).</summary>
    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        int blocks = dst.Length / Values;
        for (int b = 0; b < blocks; b++)
        {
            ReadOnlySpan<byte> block = src.Slice(b * Bytes, Bytes);
            float d = QuantMath.HalfToFloat(BinaryPrimitives.ReadUInt16LittleEndian(block.Slice(DAt)));
            Span<float> y = dst.Slice(b * Values, Values);
            for (int half = 0; half < 2; half++)
            {
                ReadOnlySpan<byte> ql = block.Slice(64 * half, 64), qh = block.Slice(QhAt + 32 * half, 32);
                int v = 128 * half, s = ScalesAt + 8 * half;
                for (int i = 0; i < 32; i++)
                {
                    int sub = i / 16;
                    int q1 = ((ql[i] & 0xF) | (((qh[i] >> 0) & 3) << 4)) - 32;
                    int q2 = ((ql[i + 32] & 0xF) | (((qh[i] >> 2) & 3) << 4)) - 32;
                    int q3 = ((ql[i] >> 4) | (((qh[i] >> 4) & 3) << 4)) - 32;
                    int q4 = ((ql[i + 32] >> 4) | (((qh[i] >> 6) & 3) << 4)) - 32;
                    y[v + i] = d * (sbyte)block[s + sub] * q1;
                    y[v + i + 32] = d * (sbyte)block[s + sub + 2] * q2;
                    y[v + i + 64] = d * (sbyte)block[s + sub + 4] * q3;
                    y[v + i + 96] = d * (sbyte)block[s + sub + 6] * q4;
                }
            }
        }
    }
}
