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
/// Each (token, kv head) attends in fixed chunks of <see cref="ChunkKeys"/> keys: a chunk's
/// online softmax (m, l, Σ p·v) is computed for all the query heads of the group at once, so
/// every K and V row is read from memory once per group, and the chunks are merged in key order.
/// Chunk boundaries depend on positions only, so the result is bit-identical whatever the
/// thread count and whether chunks of one query ran on one thread or (decode with few kv heads)
/// on several, with partial results merged afterwards (flash-decoding's split-K). Extra memory
/// is linear in the context: per-thread scratch of a few rows, plus, when split, one partial
/// state per chunk, reused across calls.
/// </para>
/// </remarks>
public static partial class CachedAttention
{
    /// <summary>Keys per chunk: the unit of split-K parallelism and of the fixed merge order.</summary>
    internal const int ChunkKeys = 128;

    /// <summary>Keys per online-softmax block inside a chunk: K and V blocks of a few KB stay in L1 across the group's heads.</summary>
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
