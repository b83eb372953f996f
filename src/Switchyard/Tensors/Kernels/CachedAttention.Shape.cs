namespace Switchyard.Tensors.Kernels;

public static partial class CachedAttention
{
    /// <summary>The sizes of one cached-attention call, validated once; offsets and chunk counts.</summary>
    internal readonly struct CacheShape
    {
        public readonly int Tokens, Start, QHeads, KvHeads, HeadDim;

        /// <summary>Query heads sharing one kv head.</summary>
        public readonly int Group;

        /// <exception cref="ArgumentException">A size is out of range or qHeads is not a multiple of kvHeads.</exception>
        public CacheShape(int tokens, int startPosition, int qHeads, int kvHeads, int headDim)
        {
            ThrowHelper.CheckNonNegative(tokens);
            ThrowHelper.CheckNonNegative(startPosition);
            ThrowHelper.CheckHeads(qHeads, kvHeads, headDim);
            if ((long)startPosition + tokens > int.MaxValue)
                throw new ArgumentOutOfRangeException(nameof(startPosition), startPosition,
                    $"startPosition {startPosition} + tokens {tokens} exceeds the largest position.");
            Tokens = tokens; Start = startPosition; QHeads = qHeads; KvHeads = kvHeads; HeadDim = headDim;
            Group = qHeads / kvHeads;
        }

        /// <summary>Floats of one cache row (one position, all kv heads).</summary>
        public int RowStride => KvHeads * HeadDim;

        /// <summary>Floats of q and o: tokens·qHeads·headDim.</summary>
        public long QueryLength => (long)Tokens * QHeads * HeadDim;

        /// <summary>Keys query <paramref name="t"/> attends to: startPosition + t + 1.</summary>
        public int Context(int t) => Start + t + 1;

        /// <summary>Chunks of <see cref="ChunkKeys"/> keys covering query <paramref name="t"/>'s context.</summary>
        public int Chunks(int t) => (Context(t) + ChunkKeys - 1) / ChunkKeys;

        /// <summary>Checks every span; messages name the span, its length and the sizes it must match.</summary>
        public void Check(int q, int kCache, int vCache, int o)
        {
            CheckQueries(q, nameof(q));
            CheckCache(kCache, nameof(kCache));
            CheckCache(vCache, nameof(vCache));
            CheckQueries(o, nameof(o));
        }

        void CheckQueries(int length, string name)
        {
            if (length != QueryLength)
                ThrowHelper.LengthMismatch(name, length, QueryLength,
                    $"tokens·qHeads·headDim = {Tokens}·{QHeads}·{HeadDim}");
        }

        void CheckCache(int length, string name)
        {
            long stride = RowStride, needed = (long)Start + Tokens;
            if (length % stride != 0)
                throw new ArgumentException(
                    $"{name} has length {length}, not a whole number of rows of kvHeads·headDim = {KvHeads}·{HeadDim} = {stride} floats.", name);
            if (length / stride < needed)
                throw new ArgumentException(
                    $"{name} holds {length / stride} rows (length {length} / kvHeads·headDim {stride}), " +
                    $"but startPosition {Start} + tokens {Tokens} = {needed} rows are attended.", name);
        }

        /// <summary>Offset of q/o row (token t, query head h).</summary>
        public long QueryOffset(int t, int h) => ((long)t * QHeads + h) * HeadDim;

        /// <summary>Offset of cache row (position j, kv head g).</summary>
        public long CacheOffset(int j, int g) => ((long)j * KvHeads + g) * HeadDim;
    }
}
