namespace Switchyard.Training;

/// <summary>Records one run's loss curves from its progress reports and forwards them.</summary>
internal sealed class CurveRecorder(IProgress<TrainStep>? next) : IProgress<TrainStep>
{
    readonly List<double> _train = [];
    readonly List<(int Step, double Loss)> _validation = [];

    /// <inheritdoc/>
    public void Report(TrainStep value)
    {
        // Index = step − 1; a run always reports steps 1, 2, … in order (no resume here).
        _train.Add(value.Loss);
        if (value.ValidationLoss is { } v) _validation.Add((value.Step, v));
        next?.Report(value);
    }

    /// <summary>Per-step mean over the runs, as long as the shortest run.</summary>
    public static double[] MeanTrain(IReadOnlyList<CurveRecorder> runs)
    {
        int n = runs.Count == 0 ? 0 : runs.Min(r => r._train.Count);
        var mean = new double[n];
        for (int i = 0; i < n; i++) mean[i] = runs.Average(r => r._train[i]);
        return mean;
    }

    /// <summary>Mean over the runs at the steps every run evaluated.</summary>
    public static (int Step, double Loss)[] MeanValidation(IReadOnlyList<CurveRecorder> runs)
    {
        if (runs.Count == 0) return [];
        return [.. runs[0]._validation.Select(p => p.Step)
            .Where(s => runs.All(r => r._validation.Exists(q => q.Step == s)))
            .Select(s => (s, runs.Average(r => r._validation.Find(q => q.Step == s).Loss)))];
    }
}
