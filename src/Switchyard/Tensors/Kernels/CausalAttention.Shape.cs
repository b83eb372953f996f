namespace Switchyard.Tensors.Kernels;

public static partial class CausalAttention
{
    /// <summary>The sizes of one attention call, validated once; offsets of rows in the three layouts.</summary>
    internal readonly struct AttentionShape
    {
        public readonly int Batch, Seq, QHeads, KvHeads, HeadDim;

        /// <summary>Query heads sharing one kv head.</summary>
        public readonly int Group;

        /// <exception cref="ArgumentException">A size is out of range or qHeads is not a multiple of kvHeads.</exception>
        public AttentionShape(int batch, int seq, int qHeads, int kvHeads, int headDim)
        {
            ThrowHelper.CheckNonNegative(batch);
            ThrowHelper.CheckNonNegative(seq);
            ThrowHelper.CheckHeads(qHeads, kvHeads, headDim);
            Batch = batch; Seq = seq; QHeads = qHeads; KvHeads = kvHeads; HeadDim = headDim;
            Group = qHeads / kvHeads;
        }

        /// <summary>Elements of q, o, dO, dq: batch·seq·qHeads·headDim.</summary>
        public long QueryLength => (long)Batch * Seq * QHeads * HeadDim;

        /// <summary>Elements of k, v, dk, dv: batch·seq·kvHeads·headDim.</summary>
        public long KeyLength => (long)Batch * Seq * KvHeads * HeadDim;

        /// <summary>Elements of logSumExp: batch·qHeads·seq.</summary>
        public long RowCount => (long)Batch * QHeads * Seq;

        /// <summary>Checks the forward pass's spans; messages name the span and the formula.</summary>
        public void CheckForward(int q, int k, int v, int o, int logSumExp)
        {
            CheckQueries(q, nameof(q));
            CheckKeys(k, nameof(k));
            CheckKeys(v, nameof(v));
            CheckQueries(o, nameof(o));
            CheckRows(logSumExp, nameof(logSumExp));
        }

        /// <summary>Checks the backward pass's spans (the forward ones, then the gradients).</summary>
        public void CheckBackward(int q, int k, int v, int o, int logSumExp, int dO, int dq, int dk, int dv)
        {
            CheckForward(q, k, v, o, logSumExp);
            CheckQueries(dO, nameof(dO));
            CheckQueries(dq, nameof(dq));
            CheckKeys(dk, nameof(dk));
            CheckKeys(dv, nameof(dv));
        }

        public void CheckQueries(int length, string name)
        {
            if (length != QueryLength) ThrowLength(name, length, QueryLength, "batch·seq·qHeads·headDim", Batch, Seq, QHeads, HeadDim);
        }

        public void CheckKeys(int length, string name)
        {
            if (length != KeyLength) ThrowLength(name, length, KeyLength, "batch·seq·kvHeads·headDim", Batch, Seq, KvHeads, HeadDim);
        }

        public void CheckRows(int length, string name)
        {
            if (length != RowCount) ThrowLength(name, length, RowCount, "batch·qHeads·seq", Batch, QHeads, Seq);
        }

        // The message is built only on failure: validation must not allocate on the hot path.
        static void ThrowLength(string name, int length, long expected, string formula, params ReadOnlySpan<int> sizes) =>
            ThrowHelper.LengthMismatch(name, length, expected, $"{formula} = {string.Join("·", sizes.ToArray())}");

        /// <summary>Offset of q/o row (b, token i, query head h).</summary>
        public long QueryOffset(int b, int i, int h) => (((long)b * Seq + i) * QHeads + h) * HeadDim;

        /// <summary>Offset of k/v row (b, token j, kv head g).</summary>
        public long KeyOffset(int b, int j, int g) => (((long)b * Seq + j) * KvHeads + g) * HeadDim;

        /// <summary>Offset of logSumExp entry (b, query head h, token i).</summary>
        public long RowOffset(int b, int h, int i) => ((long)b * QHeads + h) * Seq + i;
    }
}
