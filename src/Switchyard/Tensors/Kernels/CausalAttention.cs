namespace Switchyard.Tensors.Kernels;

/// <summary>
/// Fused causal self-attention with grouped-query heads (GQA), forward and backward, in the
/// FlashAttention-2 style: tiles of queries × tiles of keys with an online softmax, so memory
/// stays linear in the sequence length (no seq×seq buffer is ever formed).
/// </summary>
/// <remarks>
/// Layouts are row-major: q and o are [batch, seq, qHeads, headDim]; k and v are
/// [batch, seq, kvHeads, headDim]; logSumExp is [batch, qHeads, seq]. Query head h reads kv head
/// h / (qHeads / kvHeads). Query i attends to keys 0..i. Each output element is computed by one
/// work item in a fixed order, so results are bit-identical run to run and do not depend on
/// the thread count. Extra memory is per-thread scratch of a few tiles × headDim floats, reused
/// across calls. The backward pass recomputes the probabilities twice (once for dq, once for
/// dk/dv) rather than summing across threads with atomics.
/// </remarks>
public static partial class CausalAttention
{
    // Query rows per work item and keys per inner tile. Each key tile is transposed once per
    // query tile, so 64 query rows amortize that copy (~30% less forward CPU time than 32 on a
    // busy shared machine: re-tune on a quiet one);
    // 32 keys fill two Vector512 score registers. Scratch stays within L1/L2 for headDim ≤ 128.
    internal const int DefaultQueryTile = 64;
    internal const int DefaultKeyTile = 32;

    /// <summary>
    /// o = softmax(q·kᵀ·scale, causally masked)·v per (batch, query head); stores
    /// logSumExp = log Σⱼ exp(q·kⱼ·scale) per (batch, head, query) for <c>Backward</c>.
    /// </summary>
    /// <param name="q">Queries, [batch, seq, qHeads, headDim].</param>
    /// <param name="k">Keys, [batch, seq, kvHeads, headDim].</param>
    /// <param name="v">Values, [batch, seq, kvHeads, headDim].</param>
    /// <param name="o">Output, [batch, seq, qHeads, headDim] (overwritten).</param>
    /// <param name="logSumExp">Per-row log-sum-exp of the scaled scores, [batch, qHeads, seq] (overwritten).</param>
    /// <param name="batch">Sequences in the batch.</param>
    /// <param name="seq">Tokens per sequence.</param>
    /// <param name="qHeads">Query heads; a multiple of <paramref name="kvHeads"/>.</param>
    /// <param name="kvHeads">Key/value heads.</param>
    /// <param name="headDim">Width of one head.</param>
    /// <param name="scale">Score scale, usually 1/√headDim.</param>
    /// <exception cref="ArgumentException">A size is not positive, qHeads is not a multiple of kvHeads, or a span length does not match the shape.</exception>
    public static void Forward(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
        Span<float> o, Span<float> logSumExp, int batch, int seq, int qHeads, int kvHeads, int headDim, float scale) =>
        Forward(q, k, v, o, logSumExp, batch, seq, qHeads, kvHeads, headDim, scale, Simd.Best, ParallelRunner.Threads);

    /// <summary>
    /// Gradients of <c>Forward</c>: accumulates dq += ∂L/∂q, dk += ∂L/∂k, dv += ∂L/∂v
    /// given dO = ∂L/∂o. Recomputes the attention probabilities from <paramref name="logSumExp"/>
    /// tile by tile, so memory stays linear in seq.
    /// </summary>
    /// <param name="q">Queries as passed to <c>Forward</c>.</param>
    /// <param name="k">Keys as passed to <c>Forward</c>.</param>
    /// <param name="v">Values as passed to <c>Forward</c>.</param>
    /// <param name="o">The output of <c>Forward</c>.</param>
    /// <param name="logSumExp">The log-sum-exp saved by <c>Forward</c>.</param>
    /// <param name="dO">Upstream gradient, [batch, seq, qHeads, headDim].</param>
    /// <param name="dq">Query gradient (accumulated), [batch, seq, qHeads, headDim].</param>
    /// <param name="dk">Key gradient (accumulated), [batch, seq, kvHeads, headDim].</param>
    /// <param name="dv">Value gradient (accumulated), [batch, seq, kvHeads, headDim].</param>
    /// <param name="batch">Sequences in the batch.</param>
    /// <param name="seq">Tokens per sequence.</param>
    /// <param name="qHeads">Query heads; a multiple of <paramref name="kvHeads"/>.</param>
    /// <param name="kvHeads">Key/value heads.</param>
    /// <param name="headDim">Width of one head.</param>
    /// <param name="scale">The scale passed to <c>Forward</c>.</param>
    /// <exception cref="ArgumentException">A size is not positive, qHeads is not a multiple of kvHeads, or a span length does not match the shape.</exception>
    public static void Backward(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
        ReadOnlySpan<float> o, ReadOnlySpan<float> logSumExp, ReadOnlySpan<float> dO,
        Span<float> dq, Span<float> dk, Span<float> dv,
        int batch, int seq, int qHeads, int kvHeads, int headDim, float scale) =>
        Backward(q, k, v, o, logSumExp, dO, dq, dk, dv, batch, seq, qHeads, kvHeads, headDim, scale,
            Simd.Best, ParallelRunner.Threads);

    /// <summary><see cref="Forward(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, int, int, int, int, int, float)"/> at a forced width, thread count and tile sizes (tests, benchmarks).</summary>
    internal static unsafe void Forward(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
        Span<float> o, Span<float> logSumExp, int batch, int seq, int qHeads, int kvHeads, int headDim, float scale,
        SimdWidth width, int threads, int queryTile = DefaultQueryTile, int keyTile = DefaultKeyTile)
    {
        var shape = new AttentionShape(batch, seq, qHeads, kvHeads, headDim);
        shape.CheckForward(q.Length, k.Length, v.Length, o.Length, logSumExp.Length);
        CheckRun(threads, queryTile, keyTile);
        if (batch == 0 || seq == 0) return;

        fixed (float* pq = q, pk = k, pv = v, po = o, plse = logSumExp)
        {
            var job = t_forwardJob ??= new ForwardJob();
            job.Set(pq, pk, pv, po, plse, shape, scale, width, queryTile, keyTile);
            RunBalanced(job, threads);
        }
    }

    /// <summary><see cref="Backward(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, Span{float}, Span{float}, int, int, int, int, int, float)"/> at a forced width, thread count and tile sizes (tests, benchmarks).</summary>
    internal static unsafe void Backward(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
        ReadOnlySpan<float> o, ReadOnlySpan<float> logSumExp, ReadOnlySpan<float> dO,
        Span<float> dq, Span<float> dk, Span<float> dv,
        int batch, int seq, int qHeads, int kvHeads, int headDim, float scale,
        SimdWidth width, int threads, int queryTile = DefaultQueryTile, int keyTile = DefaultKeyTile)
    {
        var shape = new AttentionShape(batch, seq, qHeads, kvHeads, headDim);
        shape.CheckBackward(q.Length, k.Length, v.Length, o.Length, logSumExp.Length, dO.Length, dq.Length, dk.Length, dv.Length);
        CheckRun(threads, queryTile, keyTile);
        if (batch == 0 || seq == 0) return;

        fixed (float* pq = q, pk = k, pv = v, po = o, plse = logSumExp, pdo = dO, pdq = dq, pdk = dk, pdv = dv)
        {
            // Two passes instead of atomics: dQ owned by (batch, query head, query tile), dK/dV by
            // (batch, kv head, key tile). Both recompute P; each output has exactly one writer.
            var dqJob = t_queryGradJob ??= new QueryGradJob();
            dqJob.Set(pq, pk, pv, po, plse, pdo, pdq, shape, scale, width, queryTile, keyTile);
            RunBalanced(dqJob, threads);

            var dkvJob = t_keyValueGradJob ??= new KeyValueGradJob();
            dkvJob.Set(pq, pk, pv, po, plse, pdo, pdk, pdv, shape, scale, width, queryTile, keyTile);
            RunBalanced(dkvJob, threads);
        }
    }

    [ThreadStatic] static ForwardJob? t_forwardJob;
    [ThreadStatic] static QueryGradJob? t_queryGradJob;
    [ThreadStatic] static KeyValueGradJob? t_keyValueGradJob;

    // One part per thread; BalancedJob splits the items by causal cost. Each item's arithmetic
    // is independent of the split, so results do not depend on the thread count either.
    static void RunBalanced(BalancedJob job, int threads) =>
        ParallelRunner.Run(job, Math.Min(threads, job.Items));

    static void CheckRun(int threads, int queryTile, int keyTile)
    {
        ThrowHelper.CheckAtLeast(threads, 1);
        ThrowHelper.CheckAtLeast(queryTile, 1);
        ThrowHelper.CheckAtLeast(keyTile, 1);
    }
}
