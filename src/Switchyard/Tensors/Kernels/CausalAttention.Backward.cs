namespace Switchyard.Tensors.Kernels;

// Backward, FlashAttention-2 style. With P = exp(S − logSumExp) recomputed tile by tile:
//   Dᵢ = dOᵢ·Oᵢ (= Σⱼ Pᵢⱼ dPᵢⱼ),  dPᵢⱼ = dOᵢ·vⱼ,  dSᵢⱼ = Pᵢⱼ (dPᵢⱼ − Dᵢ),
//   dQᵢ += scale Σⱼ dSᵢⱼ kⱼ,  dKⱼ += scale Σᵢ dSᵢⱼ qᵢ,  dVⱼ += Σᵢ Pᵢⱼ dOᵢ.
public static partial class CausalAttention
{
    /// <summary>Pass 1: one work item = (batch, query head, query tile); owns those dq rows.</summary>
    sealed unsafe class QueryGradJob : QueryTileJob
    {
        float* _dO, _dq;

        public void Set(float* q, float* k, float* v, float* o, float* lse, float* dO, float* dq,
            AttentionShape shape, float scale, SimdWidth width, int queryTile, int keyTile)
        {
            _dO = dO; _dq = dq;
            SetQueryTiles(q, k, v, o, lse, shape, scale, width, queryTile, keyTile);
        }

        protected override void RunItem(int item)
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

            // Scratch: dq accumulators [rows × d] | D [rows] | P [ld] | dP [ld] | scale·Kᵀ [d × ld] | Vᵀ [d × ld].
            int ld = PadKeys(_keyTile);
            float[] scratch = Scratch(rows * d + rows + 2 * ld + 2 * d * ld);
            fixed (float* pScratch = scratch)
            {
                float* acc = pScratch, rowD = acc + rows * d, p = rowD + rows, dp = p + ld, kt = dp + ld, vt = kt + d * ld;
                new Span<float>(acc, rows * d).Clear();
                for (int r = 0; r < rows; r++)
                    rowD[r] = Dot(dOBase + (i0 + r) * qStride, oBase + (i0 + r) * qStride, d, w);

                for (int j0 = 0; j0 < i1; j0 += _keyTile)
                {
                    int j1 = Math.Min(j0 + _keyTile, i1);
                    float* kTile = kBase + j0 * kStride;
                    TransposeTile(kTile, kStride, j1 - j0, d, _scale, kt, ld);
                    TransposeTile(vBase + j0 * kStride, kStride, j1 - j0, d, 1f, vt, ld);
                    for (int r = Math.Max(0, j0 - i0); r < rows; r++)
                    {
                        int i = i0 + r, n = Math.Min(j1, i + 1) - j0;
                        RowTimesTile(qBase + i * qStride, kt, d, ld, PadKeys(n), p, w);
                        ExpShiftSum(p, n, lse[r], w);
                        RowTimesTile(dOBase + i * qStride, vt, d, ld, PadKeys(n), dp, w);
                        // p becomes scale·dS = scale·P·(dP − D).
                        for (int t = 0; t < n; t++) p[t] = _scale * p[t] * (dp[t] - rowD[r]);
                        WeightedRows.Accumulate(p, 1, kTile, kStride, n, acc + r * d, d, w);
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
    sealed unsafe class KeyValueGradJob : BalancedJob
    {
        float* _q, _k, _v, _o, _lse, _dO, _dk, _dv;
        AttentionShape _shape;
        float _scale;
        SimdWidth _width;
        int _keyTile, _keyTiles, _queryChunk;

        public void Set(float* q, float* k, float* v, float* o, float* lse, float* dO, float* dk, float* dv,
            AttentionShape shape, float scale, SimdWidth width, int queryChunk, int keyTile)
        {
            _queryChunk = queryChunk;
            _q = q; _k = k; _v = v; _o = o; _lse = lse; _dO = dO; _dk = dk; _dv = dv;
            _shape = shape; _scale = scale; _width = width;
            _keyTile = keyTile;
            _keyTiles = (shape.Seq + keyTile - 1) / keyTile;
            Prepare(shape.Batch * shape.KvHeads * _keyTiles);
        }

        protected override long Cost(int item)
        {
            int j0 = item % _keyTiles * _keyTile;
            return KeyTilePairs(j0, Math.Min(_keyTile, _shape.Seq - j0), _shape.Seq);
        }

        protected override void RunItem(int item)
        {
            var s = _shape;
            int d = s.HeadDim, tile = item % _keyTiles, bg = item / _keyTiles;
            int g = bg % s.KvHeads, b = bg / s.KvHeads;
            int j0 = tile * _keyTile, j1 = Math.Min(j0 + _keyTile, s.Seq), cols = j1 - j0;
            long qStride = (long)s.QHeads * d, kStride = (long)s.KvHeads * d;
            long kOff = s.KeyOffset(b, j0, g);
            float* kTile = _k + kOff, vTile = _v + kOff, dkTile = _dk + kOff, dvTile = _dv + kOff;
            var w = _width;

            // Scratch: dk, dv accumulators [cols × d] each | P, scale·dS [chunk × ld] each | dP [ld] |
            // scale·Kᵀ, Vᵀ [d × ld] each. Transposed once per item, reused for every query.
            int ld = PadKeys(_keyTile), chunk = _queryChunk;
            float[] scratch = Scratch(2 * cols * d + 2 * chunk * ld + ld + 2 * d * ld);
            fixed (float* pScratch = scratch)
            {
                float* dkAcc = pScratch, dvAcc = dkAcc + cols * d, pBlock = dvAcc + cols * d, dsBlock = pBlock + chunk * ld,
                    dp = dsBlock + chunk * ld, kt = dp + ld, vt = kt + d * ld;
                new Span<float>(pScratch, 2 * cols * d).Clear();
                TransposeTile(kTile, kStride, cols, d, _scale, kt, ld);
                TransposeTile(vTile, kStride, cols, d, 1f, vt, ld);

                for (int h = g * s.Group; h < (g + 1) * s.Group; h++)
                {
                    long qOff = s.QueryOffset(b, 0, h);
                    float* qBase = _q + qOff, oBase = _o + qOff, dOBase = _dO + qOff;
                    float* lse = _lse + s.RowOffset(b, h, 0);
                    // Only queries at or after the tile's first key see it; take them a chunk at a
                    // time so P and dS form small blocks that feed register-held dk/dv sums.
                    for (int c0 = j0; c0 < s.Seq; c0 += chunk)
                    {
                        int rows = Math.Min(chunk, s.Seq - c0);
                        for (int r = 0; r < rows; r++)
                        {
                            int i = c0 + r, n = Math.Min(j1, i + 1) - j0;
                            float* qi = qBase + i * qStride, dOi = dOBase + i * qStride;
                            float* pRow = pBlock + r * ld, dsRow = dsBlock + r * ld;
                            RowTimesTile(qi, kt, d, ld, PadKeys(n), pRow, w);
                            ExpShiftSum(pRow, n, lse[i], w);
                            RowTimesTile(dOi, vt, d, ld, PadKeys(n), dp, w);
                            float rowD = Dot(dOi, oBase + i * qStride, d, w);
                            for (int t = 0; t < n; t++) dsRow[t] = _scale * pRow[t] * (dp[t] - rowD);
                        }
                        // Key t is seen by chunk rows with i ≥ j0 + t: exactly the entries filled above.
                        for (int t = 0; t < cols; t++)
                        {
                            int r0 = Math.Max(0, j0 + t - c0);
                            if (r0 >= rows) break;
                            WeightedRows.Accumulate(pBlock + r0 * ld + t, ld, dOBase + (c0 + r0) * qStride, qStride, rows - r0, dvAcc + t * d, d, w);
                            WeightedRows.Accumulate(dsBlock + r0 * ld + t, ld, qBase + (c0 + r0) * qStride, qStride, rows - r0, dkAcc + t * d, d, w);
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
