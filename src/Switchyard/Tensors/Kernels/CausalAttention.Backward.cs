namespace Switchyard.Tensors.Kernels;

// Backward, FlashAttention-2 style. With P = exp(S − logSumExp) recomputed tile by tile:
//   Dᵢ = dOᵢ·Oᵢ (= Σⱼ Pᵢⱼ dPᵢⱼ),  dPᵢⱼ = dOᵢ·vⱼ,  dSᵢⱼ = Pᵢⱼ (dPᵢⱼ − Dᵢ),
//   dQᵢ += scale Σⱼ dSᵢⱼ kⱼ,  dKⱼ += scale Σᵢ dSᵢⱼ qᵢ,  dVⱼ += Σᵢ Pᵢⱼ dOᵢ.
public static partial class CausalAttention
{
    /// <summary>Pass 1: one work item = (batch, query head, query tile); owns those dq rows.</summary>
    sealed unsafe class QueryGradJob : IParallelJob
    {
        float* _q, _k, _v, _o, _lse, _dO, _dq;
        AttentionShape _shape;
        float _scale;
        SimdWidth _width;
        int _queryTile, _keyTile, _queryTiles;

        public int Items { get; private set; }

        public void Set(float* q, float* k, float* v, float* o, float* lse, float* dO, float* dq,
            AttentionShape shape, float scale, SimdWidth width, int queryTile, int keyTile)
        {
            _q = q; _k = k; _v = v; _o = o; _lse = lse; _dO = dO; _dq = dq;
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
            long qOff = s.QueryOffset(b, 0, h);
            float* qBase = _q + qOff, oBase = _o + qOff, dOBase = _dO + qOff, dqBase = _dq + qOff;
            float* kBase = _k + s.KeyOffset(b, 0, g), vBase = _v + s.KeyOffset(b, 0, g);
            float* lse = _lse + s.RowOffset(b, h, i0);
            var w = _width;

            // Scratch: dq accumulators [rows × d] | D [rows] | P [keyTile].
            float[] scratch = Scratch(rows * d + rows + _keyTile);
            fixed (float* pScratch = scratch)
            {
                float* acc = pScratch, rowD = acc + rows * d, p = rowD + rows;
                new Span<float>(acc, rows * d).Clear();
                for (int r = 0; r < rows; r++)
                    rowD[r] = Dot(dOBase + (i0 + r) * qStride, oBase + (i0 + r) * qStride, d, w);

                for (int j0 = 0; j0 < i1; j0 += _keyTile)
                {
                    int j1 = Math.Min(j0 + _keyTile, i1);
                    for (int r = Math.Max(0, j0 - i0); r < rows; r++)
                    {
                        int i = i0 + r, n = Math.Min(j1, i + 1) - j0;
                        float* qi = qBase + i * qStride, dOi = dOBase + i * qStride, acci = acc + r * d;
                        for (int t = 0; t < n; t++) p[t] = _scale * Dot(qi, kBase + (j0 + t) * kStride, d, w);
                        ExpShiftSum(p, n, lse[r], w);
                        for (int t = 0; t < n; t++)
                        {
                            float* kj = kBase + (j0 + t) * kStride;
                            float dp = Dot(dOi, vBase + (j0 + t) * kStride, d, w);
                            Axpy(_scale * p[t] * (dp - rowD[r]), kj, acci, d, w);
                        }
                    }
                }

                for (int r = 0; r < rows; r++) Add(acc + r * d, dqBase + (i0 + r) * qStride, d, w);
            }
        }
    }

    /// <summary>
    /// Pass 2: one work item = (batch, kv head, key tile); owns those dk/dv rows and sums the
    /// group's query heads in head order, then queries in token order: a fixed reduction order.
    /// </summary>
    sealed unsafe class KeyValueGradJob : IParallelJob
    {
        float* _q, _k, _v, _o, _lse, _dO, _dk, _dv;
        AttentionShape _shape;
        float _scale;
        SimdWidth _width;
        int _keyTile, _keyTiles;

        public int Items { get; private set; }

        public void Set(float* q, float* k, float* v, float* o, float* lse, float* dO, float* dk, float* dv,
            AttentionShape shape, float scale, SimdWidth width, int keyTile)
        {
            _q = q; _k = k; _v = v; _o = o; _lse = lse; _dO = dO; _dk = dk; _dv = dv;
            _shape = shape; _scale = scale; _width = width;
            _keyTile = keyTile;
            _keyTiles = (shape.Seq + keyTile - 1) / keyTile;
            Items = shape.Batch * shape.KvHeads * _keyTiles;
        }

        public void Execute(int part, int parts)
        {
            for (int item = part; item < Items; item += parts) RunItem(item);
        }

        void RunItem(int item)
        {
            var s = _shape;
            int d = s.HeadDim, tile = item % _keyTiles, bg = item / _keyTiles;
            int g = bg % s.KvHeads, b = bg / s.KvHeads;
            int j0 = tile * _keyTile, j1 = Math.Min(j0 + _keyTile, s.Seq), cols = j1 - j0;
            long qStride = (long)s.QHeads * d, kStride = (long)s.KvHeads * d;
            long kOff = s.KeyOffset(b, j0, g);
            float* kTile = _k + kOff, vTile = _v + kOff, dkTile = _dk + kOff, dvTile = _dv + kOff;
            var w = _width;

            // Scratch: dk accumulators [cols × d] | dv accumulators [cols × d] | P [keyTile].
            float[] scratch = Scratch(2 * cols * d + _keyTile);
            fixed (float* pScratch = scratch)
            {
                float* dkAcc = pScratch, dvAcc = dkAcc + cols * d, p = dvAcc + cols * d;
                new Span<float>(pScratch, 2 * cols * d).Clear();

                for (int h = g * s.Group; h < (g + 1) * s.Group; h++)
                {
                    long qOff = s.QueryOffset(b, 0, h);
                    float* qBase = _q + qOff, oBase = _o + qOff, dOBase = _dO + qOff;
                    float* lse = _lse + s.RowOffset(b, h, 0);
                    // Only queries at or after the tile's first key see it.
                    for (int i = j0; i < s.Seq; i++)
                    {
                        int n = Math.Min(j1, i + 1) - j0;
                        float* qi = qBase + i * qStride, dOi = dOBase + i * qStride;
                        float rowD = Dot(dOi, oBase + i * qStride, d, w);
                        for (int t = 0; t < n; t++) p[t] = _scale * Dot(qi, kTile + t * kStride, d, w);
                        ExpShiftSum(p, n, lse[i], w);
                        for (int t = 0; t < n; t++)
                        {
                            float dp = Dot(dOi, vTile + t * kStride, d, w);
                            Axpy(p[t], dOi, dvAcc + t * d, d, w);
                            Axpy(_scale * p[t] * (dp - rowD), qi, dkAcc + t * d, d, w);
                        }
                    }
                }

                for (int t = 0; t < cols; t++)
                {
                    Add(dkAcc + t * d, dkTile + t * kStride, d, w);
                    Add(dvAcc + t * d, dvTile + t * kStride, d, w);
                }
            }
        }
    }
}
