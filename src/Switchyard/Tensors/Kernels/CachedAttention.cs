namespace Switchyard.Tensors.Kernels;

/// <summary>
/// Causal grouped-query attention of new queries against a key/value cache: the inference
/// counterpart of <see cref="CausalAttention"/> for prefill (many tokens) and decode (one token).
/// Query t sits at position startPosition + t and attends to cache rows 0..startPosition + t;
/// the cache already holds the new tokens' keys and values.
/// </summary>
/// <remarks>
/// Layouts are row-major: q and o are [tokens, qHeads, headDim]; kCache and vCache are
/// [capacity, kvHeads, headDim] with capacity ≥ startPosition + tokens (rows past the last
/// attended one are never read). Query head h reads kv head h / (qHeads / kvHeads).
/// <para>
/// Each (token, query head) attends in fixed chunks of <see cref="ChunkKeys"/> keys, each an
/// online softmax over blocks of <see cref="BlockKeys"/> keys, and the chunk states (max m,
/// Σ e^(s−m), Σ e^(s−m)·v) are merged in key order. A block of K and V rows is fetched once and
/// used from L1 by every query that needs it: all the query heads of its kv head (GQA), and at
/// prefill a tile of 16 tokens. Decode walks whole cache rows (every kv head, contiguous) block
/// by block, so the hardware prefetcher streams them and each page is visited once; when one
/// token gives too few items for the threads, its chunks run on different threads and are
/// merged afterwards (flash-decoding's split-K).
/// </para>
/// <para>
/// Chunk and block boundaries depend on positions only, so each output is bit-identical
/// whatever the thread count, the split, or whether its token came in a prefill call or alone
/// (decoding token by token reproduces a prefill exactly). Extra memory is per-thread scratch for
/// one work item plus, when split, one state per (token, kv head, chunk): linear in the context,
/// reused across calls, so steady-state calls allocate nothing.
/// </para>
/// </remarks>
public static partial class CachedAttention
{
    /// <summary>Keys per chunk: the unit of split-K parallelism and of the fixed merge order.</summary>
    internal const int ChunkKeys = 128;

    /// <summary>Keys per online-softmax block inside a chunk: one kv head's K and V block (32 rows × headDim) stays in L1 while every query that sees it uses it.</summary>
    internal const int BlockKeys = 32;

    /// <summary>
    /// o[t, h] = Σ_{j ≤ startPosition + t} softmaxⱼ(scale·q[t, h]·k[j, g])·v[j, g] with g = h / (qHeads / kvHeads).
    /// </summary>
    /// <param name="q">Queries of the new tokens, [tokens, qHeads, headDim].</param>
    /// <param name="kCache">Key cache, [capacity, kvHeads, headDim]; rows 0..startPosition + tokens − 1 are read.</param>
    /// <param name="vCache">Value cache, same layout as <paramref name="kCache"/>.</param>
    /// <param name="o">Output, [tokens, qHeads, headDim] (overwritten).</param>
    /// <param name="tokens">New tokens (≥ 0).</param>
    /// <param name="startPosition">Position of the first new token (≥ 0): the number of cached tokens before it.</param>
    /// <param name="qHeads">Query heads; a multiple of <paramref name="kvHeads"/>.</param>
    /// <param name="kvHeads">Key/value heads.</param>
    /// <param name="headDim">Width of one head.</param>
    /// <param name="scale">Score scale, usually 1/√headDim.</param>
    /// <exception cref="ArgumentException">A size is out of range, qHeads is not a multiple of kvHeads, a span length does not match the sizes, or the cache holds fewer than startPosition + tokens rows.</exception>
    public static void Forward(ReadOnlySpan<float> q, ReadOnlySpan<float> kCache, ReadOnlySpan<float> vCache, Span<float> o,
        int tokens, int startPosition, int qHeads, int kvHeads, int headDim, float scale) =>
        Forward(q, kCache, vCache, o, tokens, startPosition, qHeads, kvHeads, headDim, scale, Simd.Best, ParallelRunner.Threads);

    /// <summary><see cref="Forward(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, int, int, float)"/> at a forced width and thread count (tests, benchmarks).</summary>
    internal static unsafe void Forward(ReadOnlySpan<float> q, ReadOnlySpan<float> kCache, ReadOnlySpan<float> vCache, Span<float> o,
        int tokens, int startPosition, int qHeads, int kvHeads, int headDim, float scale, SimdWidth width, int threads)
    {
        var shape = new CacheShape(tokens, startPosition, qHeads, kvHeads, headDim);
        shape.Check(q.Length, kCache.Length, vCache.Length, o.Length);
        ThrowHelper.CheckAtLeast(threads, 1);
        if (tokens == 0) return;

        fixed (float* pq = q, pk = kCache, pv = vCache, po = o)
        {
            var job = t_job ??= new Job();
            job.Run(pq, pk, pv, po, shape, scale, width, threads);
        }
    }

    [ThreadStatic] static Job? t_job;
}
