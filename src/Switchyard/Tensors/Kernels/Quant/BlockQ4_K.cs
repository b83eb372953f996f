using System.Buffers.Binary;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// ggml's <c>block_q4_K</c>: a 256-value super-block of 8 sub-blocks of 32 as
/// { f16 d; f16 dmin; uint8 scales[12]; uint8 qs[128] } (144 bytes). Sub-block j has a 6-bit scale sc_j
/// and a 6-bit min m_j packed in <c>scales</c> (see <see cref="ScaleMin"/>); x = d·sc_j·q − dmin·m_j.
/// Bytes qs[32c .. 32c + 32) hold sub-block 2c in their low nibbles and sub-block 2c + 1 in their high ones.
/// </summary>
internal static class BlockQ4_K
{
    public const int Values = 256, Bytes = 144, ScalesAt = 4, QsAt = 16;

    /// <summary>
    /// ggml's <c>get_scale_min_k4</c>: sub-blocks 0–3 keep their scale and min in the low 6 bits of bytes
    /// j and j + 4; sub-blocks 4–7 keep their low 4 bits in the nibbles of byte j + 4 and their high 2
    /// bits in the top bits of bytes j − 4 (scale) and j (min).
    /// </summary>
    public static (int Scale, int Min) ScaleMin(int j, ReadOnlySpan<byte> scales) => j < 4
        ? (scales[j] & 63, scales[j + 4] & 63)
        : ((scales[j + 4] & 0xF) | ((scales[j - 4] >> 6) << 4), (scales[j + 4] >> 4) | ((scales[j] >> 6) << 4));

    /// <summary>The inverse of <see cref="ScaleMin"/> for all 8 sub-blocks (6-bit values).</summary>
    public static void PackScales(ReadOnlySpan<byte> scale, ReadOnlySpan<byte> min, Span<byte> packed)
    {
        packed.Slice(0, 12).Clear();
        for (int j = 0; j < 8; j++)
        {
            int ls = scale[j], lm = min[j];
            if (j < 4)
            {
                packed[j] |= (byte)ls;
                packed[j + 4] |= (byte)lm;
            }
            else
            {
                packed[j + 4] = (byte)((ls & 0xF) | ((lm & 0xF) << 4));
                packed[j - 4] |= (byte)((ls >> 4) << 6);
                packed[j] |= (byte)((lm >> 4) << 6);
            }
        }
    }

    /// <summary>
    /// <c>quantize_row_q4_K_ref</c>: per sub-block a weighted scale/min search (<see cref="MakeQkx2Quants"/>),
    /// scales and mins quantized to 6 bits against their maxima, then every value requantized with the
    /// stored scales.
    /// </summary>
    public static void Quantize(ReadOnlySpan<float> src, Span<byte> dst)
    {
        Span<byte> l = stackalloc byte[Values];
        Span<byte> laux = stackalloc byte[32];
        Span<float> weights = stackalloc float[32];
        Span<float> mins = stackalloc float[8], scales = stackalloc float[8];
        Span<byte> ls = stackalloc byte[8], lm = stackalloc byte[8];
        int blocks = src.Length / Values;
        for (int b = 0; b < blocks; b++)
        {
            ReadOnlySpan<float> x = src.Slice(b * Values, Values);
            Span<byte> block = dst.Slice(b * Bytes, Bytes);
            float maxScale = 0f, maxMin = 0f;
            for (int j = 0; j < 8; j++)
            {
                ReadOnlySpan<float> xs = x.Slice(32 * j, 32);
                float sumX2 = 0f;
                for (int i = 0; i < 32; i++) sumX2 += xs[i] * xs[i];
                float avX = MathF.Sqrt(sumX2 / 32);
                for (int i = 0; i < 32; i++) weights[i] = avX + MathF.Abs(xs[i]);
                scales[j] = MakeQkx2Quants(xs, weights, l.Slice(32 * j, 32), out mins[j], laux, -1f, 0.1f, 20);
                if (scales[j] > maxScale) maxScale = scales[j];
                if (mins[j] > maxMin) maxMin = mins[j];
            }
            float invScale = maxScale > 0 ? 63f / maxScale : 0f;
            float invMin = maxMin > 0 ? 63f / maxMin : 0f;
            for (int j = 0; j < 8; j++)
            {
                // ggml stores nearest_int into a uint8_t before MIN(63, ·): same wrap-around here.
                ls[j] = Math.Min((byte)63, (byte)QuantMath.NearestInt(invScale * scales[j]));
                lm[j] = Math.Min((byte)63, (byte)QuantMath.NearestInt(invMin * mins[j]));
            }
            PackScales(ls, lm, block.Slice(ScalesAt, 12));
            QuantMath.WriteHalf(block, 0, maxScale / 63f);
            QuantMath.WriteHalf(block, 2, maxMin / 63f);
            float d = QuantMath.RoundToHalf(maxScale / 63f), dmin = QuantMath.RoundToHalf(maxMin / 63f);
            for (int j = 0; j < 8; j++)
            {
                var (sc, m) = ScaleMin(j, block.Slice(ScalesAt, 12));
                float dj = d * sc;
                if (dj == 0f) continue;
                float dm = dmin * m;
                for (int i = 0; i < 32; i++)
                    l[32 * j + i] = (byte)Math.Clamp(QuantMath.NearestInt((x[32 * j + i] + dm) / dj), 0, 15);
            }
            Span<byte> qs = block.Slice(QsAt, 128);
            for (int c = 0; c < 4; c++)
                for (int i = 0; i < 32; i++)
                    qs[32 * c + i] = (byte)(l[64 * c + i] | (l[64 * c + 32 + i] << 4));
        }
    }

    /// <summary>
    /// ggml's <c>make_qkx2_quants</c> (use_mad = false): fits x ≈ scale·L − min with L in [0, nmax],
    /// trying nstep + 1 candidate inverse scales around nmax/(max − min) and keeping the weighted
    /// least-squares (scale, min) of the best. Returns the scale; <paramref name="theMin"/> gets −min ≥ 0.
    /// </summary>
    internal static float MakeQkx2Quants(ReadOnlySpan<float> x, ReadOnlySpan<float> weights, Span<byte> l,
        out float theMin, Span<byte> laux, float rmin, float rdelta, int nstep, int nmax = 15)
    {
        int n = x.Length;
        float min = x[0], max = x[0];
        float sumW = weights[0], sumX = sumW * x[0];
        for (int i = 1; i < n; i++)
        {
            if (x[i] < min) min = x[i];
            if (x[i] > max) max = x[i];
            float w = weights[i];
            sumW += w;
            sumX += w * x[i];
        }
        if (min > 0) min = 0;
        if (max == min)
        {
            l.Slice(0, n).Clear();
            theMin = -min;
            return 0f;
        }
        float iscale = nmax / (max - min);
        float scale = 1 / iscale;
        float bestError = 0;
        for (int i = 0; i < n; i++)
        {
            int q = QuantMath.NearestInt(iscale * (x[i] - min));
            l[i] = (byte)Math.Max(0, Math.Min(nmax, q));
            float diff = scale * l[i] + min - x[i];
            bestError += weights[i] * (diff * diff);
        }
        for (int step = 0; step <= nstep; step++)
        {
            iscale = (rmin + rdelta * step + nmax) / (max - min);
            float sumL = 0, sumL2 = 0, sumXL = 0;
            for (int i = 0; i < n; i++)
            {
                int q = QuantMath.NearestInt(iscale * (x[i] - min));
                q = Math.Max(0, Math.Min(nmax, q));
                laux[i] = (byte)q;
                float w = weights[i];
                sumL += w * q;
                sumL2 += w * q * q;
                sumXL += w * q * x[i];
            }
            float det = sumW * sumL2 - sumL * sumL;
            if (det > 0)
            {
                float thisScale = (sumW * sumXL - sumX * sumL) / det;
                float thisMin = (sumL2 * sumX - sumL * sumXL) / det;
                if (thisMin > 0)
                {
                    thisMin = 0;
                    thisScale = sumXL / sumL2;
                }
                float curError = 0;
                for (int i = 0; i < n; i++)
                {
                    float diff = thisScale * laux[i] + thisMin - x[i];
                    curError += weights[i] * (diff * diff);
                }
                if (curError < bestError)
                {
                    laux.Slice(0, n).CopyTo(l);
                    bestError = curError;
                    scale = thisScale;
                    min = thisMin;
                }
            }
        }
        theMin = -min;
        return scale;
    }

    /// <summary><c>dequantize_row_q4_K</c>: x = (d·sc)·q − (dmin·m), products rounded separately (no FMA).</summary>
    public static void Dequantize(ReadOnlySpan<byte> src, Span<float> dst)
    {
        int blocks = dst.Length / Values;
        for (int b = 0; b < blocks; b++)
        {
            ReadOnlySpan<byte> block = src.Slice(b * Bytes, Bytes);
            float d = QuantMath.HalfToFloat(BinaryPrimitives.ReadUInt16LittleEndian(block));
            float dmin = QuantMath.HalfToFloat(BinaryPrimitives.ReadUInt16LittleEndian(block.Slice(2)));
            ReadOnlySpan<byte> scales = block.Slice(ScalesAt, 12), qs = block.Slice(QsAt, 128);
            Span<float> y = dst.Slice(b * Values, Values);
            for (int c = 0; c < 4; c++)
            {
                var (sc1, m1) = ScaleMin(2 * c, scales);
                var (sc2, m2) = ScaleMin(2 * c + 1, scales);
                float d1 = d * sc1, min1 = dmin * m1, d2 = d * sc2, min2 = dmin * m2;
                for (int i = 0; i < 32; i++)
                {
                    y[64 * c + i] = d1 * (qs[32 * c + i] & 0xF) - min1;
                    y[64 * c + 32 + i] = d2 * (qs[32 * c + i] >> 4) - min2;
                }
            }
        }
    }
}
