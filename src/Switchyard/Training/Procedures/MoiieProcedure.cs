using Switchyard.Data;

namespace Switchyard.Training.Procedures;

/// <summary>
/// The <c>moiie</c> reproduction procedure: trains the arms side by side and, after each run, measures validation loss
/// (nats/token, up to <see cref="Batches"/> batches spread over the split) by the target token's modality —
/// <c>loss_text</c>, <c>loss_task</c> — and on cross-modal positions, <c>loss_cross</c>: the first
/// <see cref="CrossWindow"/> targets after a modality switch inside a window (shared/specs/token-routers.md §13 (d));
/// <c>loss_within</c> is every other scored target. Needs data whose windows switch modality (the <c>interleaved</c> mixture).
/// </summary>
public sealed class MoiieProcedure : IReproductionProcedure
{
    /// <summary>Validation batches measured per run.</summary>
    public const int Batches = 32;

    /// <summary>Targets after a switch that count as cross-modal.</summary>
    public const int CrossWindow = 8;

    /// <inheritdoc/>
    public IReadOnlyList<ComparisonRow> Run(Reproduction reproduction, IReadOnlyList<ComparisonArm> arms, int seeds, string directory,
        TrainOptions? options, Action<string, ulong, int, int>? started, IProgress<TrainStep>? progress, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(reproduction);
        return RouterComparison.Run(reproduction.Recipe, arms, seeds, directory, options, started, progress, cancel, (_, run, _) => Measure(run));
    }

    /// <summary>Measures one finished run (its recipe with directory and seed).</summary>
    public static IReadOnlyDictionary<string, double> Measure(Recipe run)
    {
        ArgumentNullException.ThrowIfNull(run);
        double[] sum = new double[LabelSet.Modalities.Count];
        long[] count = new long[LabelSet.Modalities.Count];
        double cross = 0, within = 0;
        long crossN = 0, withinN = 0;
        RunProbe.ForEachBatch(run, Batches, (_, b, losses) =>
        {
            int T = b.SequenceLength, rows = b.Rows * T;
            for (int i = 0; i < rows; i++)
            {
                int m = b.Modalities[i];
                if (b.LossMask[i] == 0f || m < 0) continue;
                sum[m] += losses[i]; count[m]++;
                if (IsCrossModal(b.Modalities, i, T)) { cross += losses[i]; crossN++; }
                else { within += losses[i]; withinN++; }
            }
        });
        static double Mean(double s, long n) => n == 0 ? double.NaN : s / n;
        var result = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["loss_cross"] = Mean(cross, crossN),
            ["loss_within"] = Mean(within, withinN),
            ["cross_fraction"] = crossN + withinN == 0 ? double.NaN : (double)crossN / (crossN + withinN),
        };
        for (int m = 0; m < sum.Length; m++) result["loss_" + LabelSet.Modalities[m]] = Mean(sum[m], count[m]);
        return result;
    }

    /// <summary>Whether target <paramref name="item"/> is among the first <see cref="CrossWindow"/> after a modality switch inside its window.</summary>
    public static bool IsCrossModal(ReadOnlySpan<int> modalities, int item, int sequenceLength)
    {
        int start = item - item % sequenceLength;
        for (int j = item; j > start && j > item - CrossWindow; j--)
            if (modalities[j] >= 0 && modalities[j - 1] >= 0 && modalities[j] != modalities[j - 1]) return true;
        return false;
    }
}
