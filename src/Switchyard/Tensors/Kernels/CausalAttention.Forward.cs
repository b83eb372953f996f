namespace Switchyard.Tensors.Kernels;

public static partial class CausalAttention
{
    // Per-thread scratch (accumulators and one tile of scores), grown on demand and then
    // reused, so steady-state calls allocate nothing. Worker threads each get their own.
    [ThreadStatic] static float[]? t_scratch;

    static float[] Scratch(int length)
    {
        var s = t_scratch;
        if (s is null || s.Length < length) t_scratch = s = new float[length];
        return s;
    }

    /// <summary>One work item = (batch, query head, query tile): online softmax over key tiles.</summary>
    sealed unsafe class ForwardJob : IParallelJob
    {
        float* _q, _k, _v, _o, _lse;
        AttentionShape _shape;
        float _scale;
        SimdWidth _width;
        int _queryTile, _keyTile, _queryTiles;

        public int Items { get; private set; }

        public void Set(float* q, float* k, float* v, float* o, float* lse, AttentionShape shape, float scale,
            SimdWidth width, int queryTile, int keyTile)
        {
            _q = q; _k = k; _v = v; _o = o; _lse = lse;
            _shape = shape; _scale = scale; _width = width;
            _queryTile = queryTile; _keyTile = keyTile;
            _queryTiles = (shape.Seq + queryTile - 1) / queryTile;
            Items = shape.Batch * shape.QHeads * _queryTiles;
        }

        public void Execute(int part, int parts)
        {
            for (int item = part; item < Items; item += parts) RunItem(item);
        }

        void RunItem(int item)
        {
            var s = _shape;
            int d = s.HeadDim, tile = item % _queryTiles, bh = item / _queryTiles;
            int h = bh % s.QHeads, b = bh / s.QHeads, g = h / s.Group;
            int i0 = tile * _queryTile, i1 = Math.Min(i0 + _queryTile, s.Seq), rows = i1 - i0;
            long qStride = (long)s.QHeads * d, kStride = (long)s.KvHeads * d;
            float* qBase = _q + s.QueryOffset(b, 0, h), oBase = _o + s.QueryOffset(b, 0, h);
            float* kBase = _k + s.KeyOffset(b, 0, g), vBase = _v + s.KeyOffset(b, 0, g);
            var w = _width;

            // Scratch: acc [rows × d] | m [rows] | l [rows] | scores [keyTile].
            float[] scratch = Scratch(rows * d + 2 * rows + _keyTile);
            fixed (float* pScratch = scratch)
            {
                float* acc = pScratch, m = acc + rows * d, l = m + rows, scores = l + rows;
                new Span<float>(acc, rows * d).Clear();
                new Span<float>(m, rows).Fill(float.NegativeInfinity);
                new Span<float>(l, rows).Clear();

                // Key tiles outer, query rows inner: one K/V tile stays hot while every row of the
                // query tile consumes it. Keys past the tile's last query are never visited.
                for (int j0 = 0; j0 < i1; j0 += _keyTile)
                {
                    int j1 = Math.Min(j0 + _keyTile, i1);
                    for (int r = Math.Max(0, j0 - i0); r < rows; r++)
                    {
                        int i = i0 + r, n = Math.Min(j1, i + 1) - j0;
                        float* qi = qBase + i * qStride, acci = acc + r * d;
                        for (int t = 0; t < n; t++) scores[t] = _scale * Dot(qi, kBase + (j0 + t) * kStride, d, w);

                        float mOld = m[r], mNew = MathF.Max(mOld, Max(scores, n, w));
                        if (mNew != mOld && mOld != float.NegativeInfinity)
                        {
                            // The running max rose: rescale what was summed under the old one.
                            float alpha = Exp(mOld - mNew);
                            l[r] *= alpha;
                            CausalAttention.Scale(alpha, acci, d, w);
                        }
                        m[r] = mNew;
                        l[r] += ExpShiftSum(scores, n, mNew, w);
                        for (int t = 0; t < n; t++) Axpy(scores[t], vBase + (j0 + t) * kStride, acci, d, w);
                    }
                }

                float* lse = _lse + s.RowOffset(b, h, i0);
                for (int r = 0; r < rows; r++)
                {
                    float* oi = oBase + (i0 + r) * qStride, acci = acc + r * d;
                    float inv = 1f / l[r];
                    for (int c = 0; c < d; c++) oi[c] = acci[c] * inv;
                    lse[r] = m[r] + MathF.Log(l[r]);
                }
            }
        }
    }
}
