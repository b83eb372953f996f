namespace Switchyard.Tensors.Kernels;

public static partial class CausalAttention
{
    /// <summary>
    /// Work items of uneven but known cost, split into contiguous runs of about equal total cost.
    /// Causal tiles differ a lot (the last query tile sees every key, the first only itself), so an
    /// equal-count or strided split can leave one thread with the heavy tile of every head. Each
    /// item's arithmetic is the same whichever part runs it, so results never depend on the split.
    /// </summary>
    abstract class BalancedJob : IParallelJob
    {
        long _totalCost;

        /// <summary>Number of work items.</summary>
        public int Items { get; private set; }

        /// <summary>Relative cost of <paramref name="item"/>: (query, key) pairs it visits; must be positive.</summary>
        protected abstract long Cost(int item);

        protected abstract void RunItem(int item);

        /// <summary>Call after the sizes are set, before running.</summary>
        protected void Prepare(int items)
        {
            Items = items;
            long total = 0;
            for (int i = 0; i < items; i++) total += Cost(i);
            _totalCost = total;
        }

        public void Execute(int part, int parts)
        {
            // An item belongs to the part its cost midpoint falls in: every item exactly once.
            long before = 0, twiceTotal = 2 * _totalCost;
            for (int item = 0; item < Items; item++)
            {
                long cost = Cost(item);
                int owner = (int)((2 * before + cost) * parts / twiceTotal);
                if (owner == part) RunItem(item);
                else if (owner > part) return;
                before += cost;
            }
        }
    }

    /// <summary>
    /// The forward pass and the dq pass share their items, (batch, query head, query tile), and
    /// so their inputs, sizes and cost: the causal pairs the query tile visits.
    /// </summary>
    abstract unsafe class QueryTileJob : BalancedJob
    {
        protected float* _q, _k, _v, _o, _lse;
        protected AttentionShape _shape;
        protected float _scale;
        protected SimdWidth _width;
        protected int _queryTile, _keyTile, _queryTiles;

        protected void SetQueryTiles(float* q, float* k, float* v, float* o, float* lse, AttentionShape shape, float scale,
            SimdWidth width, int queryTile, int keyTile)
        {
            _q = q; _k = k; _v = v; _o = o; _lse = lse;
            _shape = shape; _scale = scale; _width = width;
            _queryTile = queryTile; _keyTile = keyTile;
            _queryTiles = (shape.Seq + queryTile - 1) / queryTile;
            Prepare(shape.Batch * shape.QHeads * _queryTiles);
        }

        protected override long Cost(int item)
        {
            int i0 = item % _queryTiles * _queryTile;
            return QueryTilePairs(i0, Math.Min(_queryTile, _shape.Seq - i0));
        }
    }

    /// <summary>(query, key) pairs that rows [i0, i0 + rows) visit causally.</summary>
    static long QueryTilePairs(int i0, int rows) => (long)rows * i0 + (long)rows * (rows + 1) / 2;

    /// <summary>(query, key) pairs that keys [j0, j0 + cols) receive causally from seq queries.</summary>
    static long KeyTilePairs(int j0, int cols, int seq) => (long)cols * (seq - j0) - (long)cols * (cols - 1) / 2;
}
