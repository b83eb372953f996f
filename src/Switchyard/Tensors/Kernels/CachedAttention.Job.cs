namespace Switchyard.Tensors.Kernels;

public static partial class CachedAttention
{
    // Below this many (query, key, column) triples the call runs on the calling thread: waking
    // workers costs tens of microseconds, more than a short context takes.
    const long ParallelThreshold = 64 * 1024;

    /// <summary>
    /// The reusable parallel job (one per calling thread, so a call allocates nothing once the
    /// partial-state buffers have grown). Three modes over (token, kv head) pairs:
    /// <list type="bullet">
    /// <item><b>Direct</b>: item = pair; its chunks run in order on one thread and merge as they go.</item>
    /// <item><b>Split</b>: item = (pair, chunk); each chunk's state goes to its own slot.</item>
    /// <item><b>Merge</b>: item = pair; merges its slots in chunk order and writes o.</item>
    /// </list>
    /// Split + Merge does exactly the arithmetic of Direct, in the same order, so the choice
    /// (made from the thread count, for parallelism when pairs are few) never changes a bit.
    /// </summary>
    sealed unsafe class Job : IParallelJob
    {
        enum Mode { Direct, Split, Merge }

        float* _q, _k, _v, _o;
        CacheShape _s;
        float _scale;
        SimdWidth _w;
        Mode _mode;
        long _totalCost;

        // Split mode: slot of (t, g, c) = _slotBase[t] + g·Chunks(t) + c; each slot holds one chunk state.
        float[] _partials = [];
        int[] _slotBase = [];

        public void Run(float* q, float* k, float* v, float* o, CacheShape s, float scale, SimdWidth w, int threads)
        {
            _q = q; _k = k; _v = v; _o = o; _s = s; _scale = scale; _w = w;
            int pairs = s.Tokens * s.KvHeads;
            long keys = 0, chunks = 0;
            for (int t = 0; t < s.Tokens; t++) { keys += s.Context(t); chunks += s.Chunks(t); }
            long work = keys * s.QHeads * s.HeadDim;
            try
            {
                if (threads == 1 || work < ParallelThreshold)
                {
                    SetMode(Mode.Direct);
                    Execute(0, 1);
                }
                else if (pairs >= 2 * threads || chunks == s.Tokens)
                {
                    // Enough (token, kv head) pairs to keep every thread busy, or nothing to split.
                    SetMode(Mode.Direct);
                    ParallelRunner.Run(this, Math.Min(threads, pairs));
                }
                else
                {
                    // Decode with few kv heads: split each pair's context into its chunks.
                    PrepareSlots(chunks * s.KvHeads);
                    SetMode(Mode.Split);
                    ParallelRunner.Run(this, (int)Math.Min(threads, chunks * s.KvHeads));
                    SetMode(Mode.Merge);
                    ParallelRunner.Run(this, Math.Min(threads, pairs));
                }
            }
            finally
            {
                _q = _k = _v = _o = null;
            }
        }

        void PrepareSlots(long slots)
        {
            var s = _s;
            if (_slotBase.Length < s.Tokens + 1) _slotBase = new int[s.Tokens + 1];
            int b = 0;
            for (int t = 0; t < s.Tokens; t++) { _slotBase[t] = b; b += s.Chunks(t) * s.KvHeads; }
            _slotBase[s.Tokens] = b;
            long floats = slots * StateLength(s.Group, s.HeadDim);
            if (floats > Array.MaxLength)
                throw new ArgumentException($"The split partial states need {floats} floats, more than an array holds.");
            if (_partials.Length < floats) _partials = new float[floats];
        }

        void SetMode(Mode mode)
        {
            _mode = mode;
            long total = 0;
            for (int t = 0; t < _s.Tokens; t++) total += _s.KvHeads * PairCost(t);
            _totalCost = total;
        }

        // Direct and Split share the cost (keys visited); Merge costs one unit per chunk state.
        long PairCost(int t) => _mode == Mode.Merge ? _s.Chunks(t) : _s.Context(t);

        public void Execute(int part, int parts)
        {
            // Items run in (token, kv head[, chunk]) order; an item belongs to the part its cost
            // midpoint falls in, so parts are contiguous runs of about equal cost.
            var s = _s;
            long before = 0, twiceTotal = 2 * _totalCost;
            for (int t = 0; t < s.Tokens; t++)
            {
                int context = s.Context(t), chunks = s.Chunks(t);
                for (int g = 0; g < s.KvHeads; g++)
                {
                    if (_mode == Mode.Split)
                    {
                        for (int c = 0; c < chunks; c++)
                        {
                            int j0 = c * ChunkKeys, j1 = Math.Min(j0 + ChunkKeys, context);
                            int owner = Owner(before, j1 - j0, parts, twiceTotal);
                            if (owner == part) SplitItem(t, g, c, j0, j1);
                            else if (owner > part) return;
                            before += j1 - j0;
                        }
                    }
                    else
                    {
                        long cost = PairCost(t);
                        int owner = Owner(before, cost, parts, twiceTotal);
                        if (owner == part)
                        {
                            if (_mode == Mode.Direct) DirectItem(t, g);
                            else MergeItem(t, g);
                        }
                        else if (owner > part) return;
                        before += cost;
                    }
                }
            }
        }

        static int Owner(long before, long cost, int parts, long twiceTotal) =>
            parts == 1 ? 0 : (int)((2 * before + cost) * parts / twiceTotal);

        /// <summary>All chunks of pair (t, g) in order, merged as they go, then o.</summary>
        void DirectItem(int t, int g)
        {
            var s = _s;
            int G = s.Group, d = s.HeadDim, context = s.Context(t), state = StateLength(G, d);
            float[] scratch = Scratch(ScratchLength(G, d) + 2 * state);
            fixed (float* pScratch = scratch)
            {
                float* run = pScratch + ScratchLength(G, d);
                float* chunk = run + state;
                PrepareQueries(t, g, pScratch);
                ComputeChunk(g, 0, Math.Min(ChunkKeys, context), pScratch, run);
                for (int j0 = ChunkKeys; j0 < context; j0 += ChunkKeys)
                {
                    ComputeChunk(g, j0, Math.Min(j0 + ChunkKeys, context), pScratch, chunk);
                    MergeStates(run, chunk, G, d, _w);
                }
                WriteOutput(run, _o + s.QueryOffset(t, g * G), G, d, _w);
            }
        }

        /// <summary>Chunk c of pair (t, g) into its slot.</summary>
        void SplitItem(int t, int g, int c, int j0, int j1)
        {
            var s = _s;
            int G = s.Group, d = s.HeadDim;
            float[] scratch = Scratch(ScratchLength(G, d));
            fixed (float* pScratch = scratch)
            fixed (float* partials = _partials)
            {
                PrepareQueries(t, g, pScratch);
                long slot = _slotBase[t] + (long)g * s.Chunks(t) + c;
                ComputeChunk(g, j0, j1, pScratch, partials + slot * StateLength(G, d));
            }
        }

        /// <summary>Merges pair (t, g)'s slots in chunk order into the first one, then writes o.</summary>
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

        /// <summary>The group's queries times the scale into the scratch's first G·d floats: scores come out scaled.</summary>
        void PrepareQueries(int t, int g, float* scratch)
        {
            var s = _s;
            int n = s.Group * s.HeadDim;
            // The group's query heads are adjacent in q: one contiguous run of G·d floats.
            VectorMath.Scale(new ReadOnlySpan<float>(_q + s.QueryOffset(t, g * s.Group), n), _scale, new Span<float>(scratch, n), _w);
        }

        /// <summary>The online-softmax state of keys [j0, j1) for kv head g's query group.</summary>
        void ComputeChunk(int g, int j0, int j1, float* scratch, float* state)
        {
            var s = _s;
            int G = s.Group, d = s.HeadDim;
            long stride = s.RowStride;
            float* qs = scratch, scores = scratch + G * d;
            float* kBase = _k + s.CacheOffset(0, g), vBase = _v + s.CacheOffset(0, g);
            Chunk(qs, kBase + j0 * stride, vBase + j0 * stride, stride, j1 - j0, G, d, scores, state, _w);
        }
    }

    // Per-thread scratch: scaled queries [G·d] | scores [G·BlockKeys] | (Direct) running state | chunk state.
    [ThreadStatic] static float[]? t_scratch;

    static float[] Scratch(int length)
    {
        var s = t_scratch;
        if (s is null || s.Length < length) t_scratch = s = new float[length];
        return s;
    }

    static int ScratchLength(int group, int headDim) => group * headDim + group * BlockKeys;

    /// <summary>One chunk state: Σ p·v per head [G·d] | running max m [G] | Σ p [G].</summary>
    static int StateLength(int group, int headDim) => group * (headDim + 2);
}
