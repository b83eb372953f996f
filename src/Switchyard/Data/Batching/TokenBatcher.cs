using Switchyard.Tensors;

namespace Switchyard.Data;

/// <summary>
/// Samples training windows: for each row, a source by mixture weight, then a uniformly
/// random window of sequence+1 consecutive tokens of its training part (so documents are
/// sampled in proportion to their length, and windows may cross an EOS into the next
/// document). Seeded and reproducible; <see cref="State"/> saves and restores the position
/// exactly. <see cref="Next"/> fills one reused <see cref="TokenBatch"/>: no allocation per batch.
/// </summary>
public sealed class TokenBatcher
{
    readonly DataMixture _mixture;
    readonly double[] _cumulative;
    readonly Rng _rng;
    readonly TokenBatch _batch;

    /// <summary>Creates the batcher.</summary>
    /// <exception cref="ArgumentException">A source's training part is shorter than <paramref name="sequenceLength"/> + 1 tokens.</exception>
    public TokenBatcher(DataMixture mixture, int batchSize, int sequenceLength, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(mixture);
        _mixture = mixture;
        _batch = new TokenBatch(batchSize, sequenceLength);
        for (int i = 0; i < mixture.Components.Count; i++)
            if (mixture.Train[i].Length < sequenceLength + 1)
                throw new ArgumentException($"source '{mixture.Components[i].Name}' has {mixture.Train[i].Length} training tokens, fewer than sequence length + 1 = {sequenceLength + 1}", nameof(sequenceLength));
        double total = mixture.Components.Sum(c => c.Weight), sum = 0;
        _cumulative = [.. mixture.Components.Select(c => (sum += c.Weight) / total)];
        _rng = new Rng(seed);
    }

    /// <summary>Rows per batch.</summary>
    public int BatchSize => _batch.BatchSize;

    /// <summary>Positions per row.</summary>
    public int SequenceLength => _batch.SequenceLength;

    /// <summary>Batches drawn so far.</summary>
    public long Step { get; private set; }

    /// <summary>The position in the stream of batches; setting it makes the following batches identical to those that followed when it was read.</summary>
    public TokenBatcherState State
    {
        get
        {
            var (s0, s1, s2, s3) = _rng.State;
            return new TokenBatcherState(s0, s1, s2, s3, Step);
        }
        set
        {
            _rng.State = (value.S0, value.S1, value.S2, value.S3);
            Step = value.Step;
        }
    }

    /// <summary>Draws the next batch into the batcher's reused <see cref="TokenBatch"/> and returns it.</summary>
    public TokenBatch Next()
    {
        int T = _batch.SequenceLength;
        for (int r = 0; r < _batch.BatchSize; r++)
        {
            double u = _rng.NextDouble();
            int source = 0;
            while (source < _cumulative.Length - 1 && u >= _cumulative[source]) source++;
            TokenStream stream = _mixture.Train[source];
            int start = _rng.NextInt(stream.Length - T); // window [start, start + T] fits
            _mixture.FillRow(stream, start, _batch, r);
        }
        _batch.Rows = _batch.BatchSize;
        Step++;
        return _batch;
    }
}
