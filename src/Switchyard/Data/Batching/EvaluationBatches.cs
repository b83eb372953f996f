using System.Collections;

namespace Switchyard.Data;

/// <summary>
/// The validation parts of a <see cref="DataMixture"/> cut into contiguous windows, source by
/// source: window k of a source starts at token k·T, so every validation target is predicted
/// exactly once, always in the same order. Each enumeration yields one reused
/// <see cref="TokenBatch"/>; the last batch may be partly padding (<see cref="TokenBatch.Rows"/>, mask 0).
/// Aggregate loss by the batch's label ids for per-source, per-domain, per-task and per-language losses.
/// </summary>
public sealed class EvaluationBatches : IEnumerable<TokenBatch>
{
    readonly DataMixture _mixture;
    readonly (int Source, int Start)[] _windows;

    internal EvaluationBatches(DataMixture mixture, int batchSize, int sequenceLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(sequenceLength, 1);
        _mixture = mixture;
        BatchSize = batchSize;
        SequenceLength = sequenceLength;
        var windows = new List<(int, int)>();
        for (int s = 0; s < mixture.Validation.Length; s++)
            for (int start = 0; start < mixture.Validation[s].Length - 1; start += sequenceLength)
                windows.Add((s, start));
        _windows = [.. windows];
    }

    /// <summary>Rows per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Positions per row.</summary>
    public int SequenceLength { get; }

    /// <summary>Number of windows over all sources.</summary>
    public int Windows => _windows.Length;

    /// <summary>Number of batches an enumeration yields.</summary>
    public int Batches => (_windows.Length + BatchSize - 1) / BatchSize;

    /// <summary>Yields the batches; the same <see cref="TokenBatch"/> instance each time, refilled.</summary>
    public IEnumerator<TokenBatch> GetEnumerator()
    {
        var batch = new TokenBatch(BatchSize, SequenceLength);
        for (int first = 0; first < _windows.Length; first += BatchSize)
        {
            int rows = Math.Min(BatchSize, _windows.Length - first);
            for (int r = 0; r < BatchSize; r++)
            {
                // Rows past the last window: an empty window, i.e. all padding.
                var (source, start) = r < rows ? _windows[first + r] : (0, int.MaxValue / 2);
                TokenStream stream = _mixture.Validation[source];
                _mixture.FillRow(stream, Math.Min(start, stream.Length), batch, r);
            }
            batch.Rows = rows;
            yield return batch;
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
