namespace Switchyard.Tensors.Kernels;

public static partial class CachedAttention
{
    // Below this many (query, key, column) triples the call runs on the calling thread: waking
    // workers costs tens of microseconds, more than a short context takes.
    const long ParallelThreshold = 64 * 1024;

    // Prefill tokens per work item: a K/V block read into L1 serves this many tokens' queries.
    const int TileTokens = 16;

    /// <summary>
    /// The reusable parallel job (one per calling thread, so a call allocates nothing once its
    /// buffers have grown). A work item covers a tile of tokens × a range of kv heads; three modes:
    /// <list type="bullet">
    /// <item><b>Direct</b>: the item runs all its chunks in order, merging as it goes, and writes o.</item>
    /// <item><b>Split</b>: item = (tile, range, chunk); each (token, kv head)'s chunk state goes to its own slot.</item>
    /// <item><b>Merge</b>: item = (token, kv head); merges its slots in chunk order and writes o.</item>
    /// </list>
    /// Every (token, query head) goes through the same blocks, chunks and merges in the same order
    /// whatever the tile, range and mode, so those choices (made from the thread count for
    /// parallelism and locality) never change a bit.
    /// </summary>
    sealed unsafe class Job : IParallelJob
    {
        enum Mode { Direct, Split, Merge }

        float* _q, _k, _v, _o;
        CacheShape _s;
        float _scale;
        SimdWidth _w;
        Mode _mode;
        int _tile, _tiles, _range, _ranges;
        long _totalCost;

        // Split mode: the slot of (t, g, c) is _slotBase[t] + g·Chunks(t) + c; a slot holds one chunk state.
        float[] _partials = [];
        int[] _slotBase = [];

        public void Run(float* q, float* k, float* v, float* o, CacheShape s, float scale, SimdWidth w, int threads)
        {
            _q = q; _k = k; _v = v; _o = o; _s = s; _scale = scale; _w = w;
            long keys = 0;
            for (int t = 0; t < s.Tokens; t++) keys += s.Context(t);
            long work = keys * s.QHeads * s.HeadDim;

            _tile = Math.Min(s.Tokens, TileTokens);
            _tiles = (s.Tokens + _tile - 1) / _tile;
            // Decode reads whole cache rows (all kv heads, contiguous) block by block, so the
            // hardware prefetcher streams them and each page is visited once; prefill tiles keep
            // one kv head's block in L1 for the tile's queries instead.
            int baseRanges = _tile == 1 ? 1 : s.KvHeads;
            long chunkItems = 0;
            for (int i = 0; i < _tiles; i++) chunkItems += s.Chunks(TileEnd(i) - 1);
            try
            {
                if (threads == 1 || work < ParallelThreshold)
                {
                    SetRanges(baseRanges);
                    SetMode(Mode.Direct);
                    Execute(0, 1);
                }
                else if ((long)_tiles * baseRanges >= 2 * threads || chunkItems == _tiles)
                {
                    // Enough items as they are, or nothing to split along keys: split heads further if needed.
                    SetRanges((int)Math.Clamp(CeilDiv(2L * threads, _tiles), baseRanges, s.KvHeads));
                    SetMode(Mode.Direct);
                    ParallelRunner.Run(this, (int)Math.Min(threads, (long)_tiles * _ranges));
                }
                else
                {
                    // Decode (or a few tokens): split the context into its chunks, and the heads
                    // into ranges only as far as needed to give every thread work.
                    SetRanges((int)Math.Clamp(CeilDiv(2L * threads, chunkItems), 1, s.KvHeads));
                    PrepareSlots();
                    SetMode(Mode.Split);
                    ParallelRunner.Run(this, (int)Math.Min(threads, chunkItems * _ranges));
                    SetMode(Mode.Merge);
                    // Merging is ~1/ChunkKeys of the work: threads only pay off for long prefixes.
                    long mergeWork = _slotBase[s.Tokens] * (long)s.Group * s.HeadDim;
                    ParallelRunner.Run(this, mergeWork < 16 * ParallelThreshold ? 1 : Math.Min(threads, s.Tokens * s.KvHeads));
                }
            }
            finally
            {
                _q = _k = _v = _o = null;
            }
        }

        static long CeilDiv(long a, long b) => (a + b - 1) / b;

        int TileEnd(int tile) => Math.Min((tile + 1) * _tile, _s.Tokens);

        void SetRanges(int ranges)
        {
            _range = (int)CeilDiv(_s.KvHeads, ranges);
            _ranges = (int)CeilDiv(_s.KvHeads, _range);
        }

        void PrepareSlots()
        {
            var s = _s;
            if (_slotBase.Length < s.Tokens + 1) _slotBase = new int[s.Tokens + 1];
            long b = 0;
            for (int t = 0; t < s.Tokens; t++) { _slotBase[t] = (int)b; b += (long)s.Chunks(t) * s.KvHeads; }
            long floats = b * StateLength(s.Group, s.HeadDim);
            if (floats > Array.MaxLength)
                throw new ArgumentException($"The split partial states need {floats} floats, more than an array holds.");
            _slotBase[s.Tokens] = (int)b;
            if (_partials.Length < floats) _partials = new float[floats];
        }

        void SetMode(Mode mode)
        {
            _mode = mode;
            long total = 0;
            ForEachItem(0, 1, count: true, ref total);
            _totalCost = total;
        }

        public void Execute(int part, int parts)
        {
            long ignored = 0;
            ForEachItem(part, parts, count: false, ref ignored);
        }

        /// <summary>
        /// Walks the items in a fixed order with their costs (keys × heads visited). Counting sums
        /// the costs; otherwise the items whose cost midpoint falls in this part run, so parts are
        /// contiguous runs of about equal cost.
        /// </summary>
        void ForEachItem(int part, int parts, bool count, ref long total)
        {
            var s = _s;
            long before = 0, twiceTotal = 2 * _totalCost;
            if (_mode == Mode.Merge)
            {
                for (int t = 0; t < s.Tokens; t++)
                for (int g = 0; g < s.KvHeads; g++)
                {
                    long cost = s.Chunks(t);
                    if (!count && Take(part, parts, before, cost, twiceTotal) is var owner && owner >= part)
                    {
                        if (owner > part) return;
                        MergeItem(t, g);
                    }
                    before += cost;
                }
                total = before;
                return;
            }
            for (int tile = 0; tile < _tiles; tile++)
            {
                int t0 = tile * _tile, t1 = TileEnd(tile), chunks = s.Chunks(t1 - 1);
                for (int r = 0; r < _ranges; r++)
                {
                    int g0 = r * _range, g1 = Math.Min(g0 + _range, s.KvHeads);
                    if (_mode == Mode.Direct)
                    {
                        long cost = 0;
                        for (int t = t0; t < t1; t++) cost += s.Context(t);
                        cost *= g1 - g0;
                        if (!count && Take(part, parts, before, cost, twiceTotal) is var owner && owner >= part)
                        {
                            if (owner > part) return;
                            DirectItem(t0, t1, g0, g1);
                        }
                        before += cost;
                        continue;
                    }
                    for (int c = 0; c < chunks; c++)
                    {
                        long cost = 0;
                        for (int t = t0; t < t1; t++) cost += Math.Max(0, Math.Min(ChunkKeys, s.Context(t) - c * ChunkKeys));
                        cost *= g1 - g0;
                        if (!count && Take(part, parts, before, cost, twiceTotal) is var owner && owner >= part)
                        {
                            if (owner > part) return;
                            SplitItem(t0, t1, g0, g1, c);
                        }
                        before += cost;
                    }
                }
            }
            total = before;
        }

        /// <summary>The part an item belongs to: the one its cost midpoint falls in.</summary>
        static int Take(int part, int parts, long before, long cost, long twiceTotal) =>
            parts == 1 ? 0 : (int)((2 * before + cost) * parts / twiceTotal);

        /// <summary>Tokens [t0, t1) × kv heads [g0, g1): every chunk in order, merged as it goes, then o.</summary>
        void DirectItem(int t0, int t1, int g0, int g1)
        {
            var s = _s;
            int G = s.Group, d = s.HeadDim, range = g1 - g0, pairs = (t1 - t0) * range, state = StateLength(G, d);
            int extra = 2 * pairs * state;
            fixed (float* pScratch = Scratch(ItemScratch.Length(s, t1 - t0, range, extra)))
            {
                var scratch = new ItemScratch(pScratch, s, t1 - t0, range, extra);
                float* run = scratch.States, chunk = run + pairs * state;
                PrepareQueries(t0, t1, g0, g1, scratch.Queries);
                int chunks = s.Chunks(t1 - 1);
                for (int c = 0; c < chunks; c++)
                {
                    // Chunk 0 goes straight into the running state (merging into an empty state is a copy).
                    float* target = c == 0 ? run : chunk;
                    for (int t = t0; t < t1; t++)
                    for (int g = g0; g < g1; g++)
                    {
                        int p = (t - t0) * range + (g - g0);
                        scratch.Pointers[p] = c < s.Chunks(t) ? (nint)(target + p * state) : 0;
                    }
                    ComputeChunk(t0, t1, g0, g1, c, scratch);
                    if (c == 0) continue;
                    for (int p = 0; p < pairs; p++)
                        if (scratch.Pointers[p] != 0) MergeStates(run + p * state, chunk + p * state, G, d, _w);
                }
                for (int t = t0; t < t1; t++)
                for (int g = g0; g < g1; g++)
                    WriteOutput(run + ((t - t0) * range + (g - g0)) * state, _o + s.QueryOffset(t, g * G), G, d, _w);
            }
        }

        /// <summary>Chunk c of tokens [t0, t1) × kv heads [g0, g1), each state into its slot.</summary>
        void SplitItem(int t0, int t1, int g0, int g1, int c)
        {
            var s = _s;
            int state = StateLength(s.Group, s.HeadDim);
            fixed (float* pScratch = Scratch(ItemScratch.Length(s, t1 - t0, g1 - g0, 0)))
            fixed (float* partials = _partials)
            {
                var scratch = new ItemScratch(pScratch, s, t1 - t0, g1 - g0, 0);
                PrepareQueries(t0, t1, g0, g1, scratch.Queries);
                for (int t = t0; t < t1; t++)
                for (int g = g0; g < g1; g++)
                {
                    // Tokens whose context ends before this chunk get no slot and are skipped by ComputeChunk.
                    long slot = _slotBase[t] + (long)g * s.Chunks(t) + c;
                    scratch.Pointers[(t - t0) * (g1 - g0) + (g - g0)] = c < s.Chunks(t) ? (nint)(partials + slot * state) : 0;
                }
                ComputeChunk(t0, t1, g0, g1, c, scratch);
            }
        }

        /// <summary>Merges (t, g)'s slots in chunk order into the first one, then writes o.</summary>
        void MergeItem(int t, int g)
        {
            var s = _s;
            int G = s.Group, d = s.HeadDim, chunks = s.Chunks(t), state = StateLength(G, d);
            fixed (float* partials = _partials)
            {
                float* run = partials + (_slotBase[t] + (long)g * chunks) * state;
                for (int c = 1; c < chunks; c++) MergeStates(run, run + (long)c * state, G, d, _w);
                WriteOutput(run, _o + s.QueryOffset(t, g * G), G, d, _w);
            }
        }

        /// <summary>The queries of tokens [t0, t1) × kv-head groups [g0, g1) times the scale: scores come out scaled.</summary>
        void PrepareQueries(int t0, int t1, int g0, int g1, float* qs)
        {
            var s = _s;
            // One token's groups g0..g1 are adjacent in q: one contiguous run per token.
            int n = (g1 - g0) * s.Group * s.HeadDim;
            for (int t = t0; t < t1; t++)
                VectorMath.Scale(new ReadOnlySpan<float>(_q + s.QueryOffset(t, g0 * s.Group), n), _scale,
                    new Span<float>(qs + (long)(t - t0) * n, n), _w);
        }

        /// <summary>
        /// Chunk c's online-softmax states for tokens [t0, t1) × kv heads [g0, g1), into the states
        /// at scratch.Pointers[(t − t0)·range + (g − g0)] (0 = the token's context ends before the chunk).
        /// Blocks of keys outer, kv heads, tokens and query heads inner: a block of K and V rows is
        /// fetched from memory once and used from L1 by every query that sees it.
        /// </summary>
        void ComputeChunk(int t0, int t1, int g0, int g1, int c, ItemScratch scratch)
        {
            var s = _s;
            int G = s.Group, d = s.HeadDim, range = g1 - g0, j0 = c * ChunkKeys;
            long stride = s.RowStride;
            nint* states = scratch.Pointers;
            for (int p = 0; p < (t1 - t0) * range; p++)
                if (states[p] != 0) ClearState((float*)states[p], G, d);
            int jEnd = Math.Min(j0 + ChunkKeys, s.Context(t1 - 1));
            // Rows reused from L1 (by G heads, by the tile's tokens) whose stride is a multiple of
            // 1 KiB (kvHeads·headDim·4 bytes, often 4–8 KiB) fall into a few L1 sets and evict each
            // other before the reuse: measured 3.6× slower for 32 query on 8 kv heads. They are
            // copied to a contiguous block first; the values, hence the bits, are the same. Decode
            // copies only V (reused by every head; K rows are read twice, by head pairs): copying K
            // too cost ~15% of cold-cache bandwidth for the GQA bench shape.
            bool pack = (G > 1 || t1 - t0 > 1) && stride != d && stride * sizeof(float) % 1024 == 0;
            for (int jb = j0; jb < jEnd; jb += BlockKeys)
            {
                for (int g = g0; g < g1; g++)
                {
                    float* kb = _k + s.CacheOffset(jb, g), vb = _v + s.CacheOffset(jb, g);
                    long kStride = stride, vStride = stride;
                    if (pack)
                    {
                        int rows = Math.Min(BlockKeys, jEnd - jb);
                        for (int j = 0; j < rows; j++)
                            new ReadOnlySpan<float>(vb + j * stride, d).CopyTo(new Span<float>(scratch.PackedV + j * d, d));
                        vb = scratch.PackedV;
                        vStride = d;
                        if (t1 - t0 > 1)
                        {
                            for (int j = 0; j < rows; j++)
                                new ReadOnlySpan<float>(kb + j * stride, d).CopyTo(new Span<float>(scratch.PackedK + j * d, d));
                            kb = scratch.PackedK;
                            kStride = d;
                        }
                    }
                    for (int t = t0; t < t1; t++)
                    {
                        // Later tokens see more keys, so once a token's block is empty the earlier ones' are too.
                        int end = Math.Min(j0 + ChunkKeys, s.Context(t));
                        if (jb >= end) continue;
                        int p = (t - t0) * range + (g - g0);
                        float* qs = scratch.Queries + (long)p * G * d;
                        Block(qs, kb, kStride, vb, vStride, Math.Min(BlockKeys, end - jb), G, d, scratch.Scores, (float*)states[p], _w);
                    }
                }
            }
        }
    }

    /// <summary>
    /// A work item's scratch, carved from the per-thread array: packed K and V blocks [2·BlockKeys·d] |
    /// scaled queries [tokens·range·G·d] | scores [G·BlockKeys] | states [extra floats] | one
    /// state pointer per (token, kv head).
    /// </summary>
    readonly unsafe struct ItemScratch
    {
        public readonly float* PackedK, PackedV, Queries, Scores, States;
        public readonly nint* Pointers;

        public ItemScratch(float* p, CacheShape s, int tokens, int range, int extra)
        {
            PackedK = p;
            PackedV = p + BlockKeys * s.HeadDim;
            Queries = PackedV + BlockKeys * s.HeadDim;
            Scores = Queries + (long)tokens * range * s.Group * s.HeadDim;
            States = Scores + s.Group * BlockKeys;
            Pointers = (nint*)(((nint)(States + extra) + 7) & ~(nint)7);
        }

        /// <summary>Floats the layout needs (pointers 8-byte aligned: two floats each, plus one to align).</summary>
        public static int Length(CacheShape s, int tokens, int range, int extra)
        {
            long pairs = (long)tokens * range;
            long floats = 2L * BlockKeys * s.HeadDim + pairs * s.Group * s.HeadDim + (long)s.Group * BlockKeys + extra + 2 * pairs + 1;
            if (floats > Array.MaxLength) throw new ArgumentException($"Attention scratch of {floats} floats is more than an array holds.");
            return (int)floats;
        }
    }

    // Per-thread scratch behind ItemScratch, grown on demand and then reused.
    [ThreadStatic] static float[]? t_scratch;

    static float[] Scratch(int length)
    {
        var s = t_scratch;
        if (s is null || s.Length < length) t_scratch = s = new float[length];
        return s;
    }

    /// <summary>One chunk state: Σ p·v per head [G·d] | running max m [G] | Σ p [G].</summary>
    static int StateLength(int group, int headDim) => group * (headDim + 2);
}
