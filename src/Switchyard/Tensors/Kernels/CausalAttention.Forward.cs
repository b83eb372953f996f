namespace Switchyard.Tensors.Kernels;

public static partial class CausalAttention
{
    // Per-thread scratch (row accumulators, transposed K/V tiles, score rows; a few × tile ×
    // headDim floats), grown on demand and then reused, so steady-state calls allocate nothing.
    // Worker threads each get their own; one item runs at a time per thread.
    [ThreadStatic] static float[]? t_scratch;

    static float[] Scratch(int length)
    {
        var s = t_scratch;
        if (s is null || s.Length < length) t_scratch = s = new float[length];
        return s;
    }

    /// <summary>One work item = (batch, query head, query tile): online softmax over key tiles.</summary>
    sealed unsafe class ForwardJob : QueryTileJob
    {
        public void Set(float* q, float* k, float* v, float* o, float* lse, AttentionShape shape, float scale,
            SimdWidth width, int queryTile, int keyTile) =>
            SetQueryTiles(q, k, v, o, lse, shape, scale, width, queryTile, keyTile);

        protected override void RunItem(int item)
        {
            var s = _shape;
            int d = s.HeadDim, tile = item % _queryTiles, bh = item / _queryTiles;
            int h = bh % s.QHeads, b = bh / s.QHeads, g = h / s.Group;
            int i0 = tile * _queryTile, i1 = Math.Min(i0 + _queryTile, s.Seq), rows = i1 - i0;
            long qStride = (long)s.QHeads * d, kStride = (long)s.KvHeads * d;
            float* qBase = _q + s.QueryOffset(b, 0, h), oBase = _o + s.QueryOffset(b, 0, h);
            float* kBase = _k + s.KeyOffset(b, 0, g), vBase = _v + s.KeyOffset(b, 0, g);
            var w = _width;

            // Scratch: acc [rows × d] | m [rows] | l [rows] | scores [ld] | scale·Kᵀ tile [d × ld].
            int ld = PadKeys(_keyTile);
            float[] scratch = Scratch(rows * d + 2 * rows + ld + d * ld);
            fixed (float* pScratch = scratch)
            {
                float* acc = pScratch, m = acc + rows * d, l = m + rows, scores = l + rows, kt = scores + ld;
                new Span<float>(acc, rows * d).Clear();
                new Span<float>(m, rows).Fill(float.NegativeInfinity);
                new Span<float>(l, rows).Clear();

                // Key tiles outer, query rows inner: one K/V tile stays hot while every row of the
                // query tile consumes it. Keys past the tile's last query are never visited.
                for (int j0 = 0; j0 < i1; j0 += _keyTile)
                {
                    int j1 = Math.Min(j0 + _keyTile, i1);
                    // The scale is folded into the transposed keys: scores come out scaled.
                    TransposeTile(kBase + j0 * kStride, kStride, j1 - j0, d, _scale, kt, ld);
                    float* vTile = vBase + j0 * kStride;
                    for (int r = Math.Max(0, j0 - i0); r < rows; r++)
                    {
                        int i = i0 + r, n = Math.Min(j1, i + 1) - j0;
                        float* acci = acc + r * d;
                        RowTimesTile(qBase + i * qStride, kt, d, ld, PadKeys(n), scores, w);

                        float mOld = m[r], mNew = MathF.Max(mOld, Max(scores, n, w));
                        if (mNew != mOld && mOld != float.NegativeInfinity)
                        {
                            // The running max rose: rescale what was summed under the old one.
                            float alpha = Exp(mOld - mNew);
                            l[r] *= alpha;
                            Scale(alpha, acci, acci, d, w);
                        }
                        m[r] = mNew;
                        l[r] += ExpShiftSum(scores, n, mNew, w);
                        WeightedRows.Accumulate(scores, 1, vTile, kStride, n, acci, d, w);
                    }
                }

                float* lse = _lse + s.RowOffset(b, h, i0);
                for (int r = 0; r < rows; r++)
                {
                    Scale(1f / l[r], acc + r * d, oBase + (i0 + r) * qStride, d, w);
                    lse[r] = m[r] + MathF.Log(l[r]);
                }
            }
        }
    }
}
