using Switchyard.Autograd;
using Switchyard.Data;
using Switchyard.Models;
using Switchyard.Tensors;

namespace Switchyard.Training;

/// <summary>
/// The routing-fluctuation measurement of the graph-of-tokens paper (arXiv 2505.00792, shared/specs/token-routers.md §7(d)),
/// as a reproduction procedure (<c>"procedure": "routing-fluctuation"</c>): while each arm trains, the top-1 expert of
/// every MoE layer is recorded for a fixed set of validation tokens at <see cref="Snapshots"/> evenly spaced steps of the
/// last 30% of training (the trainer keeps only its latest checkpoint, so snapshots are taken by a before-step hook from
/// the live model, and the last one from the final checkpoint). Per run it records:
/// <list type="bullet">
/// <item><c>fluctuation_rate</c>: the fraction of (token, MoE layer) pairs whose top-1 expert changes between consecutive
/// snapshots, averaged over the pairs of snapshots;</item>
/// <item><c>probe_loss</c> and <c>noisy_probe_loss</c>: the final model's cross-entropy on those tokens, clean and with
/// <see cref="NoiseFraction"/> of the input bytes replaced by random bytes (targets unchanged).</item>
/// </list>
/// </summary>
public sealed class RoutingFluctuationProcedure : IReproductionProcedure
{
    /// <summary>The procedure's name in <see cref="ReproductionProcedures"/>.</summary>
    public const string Name = "routing-fluctuation";

    /// <summary>Snapshots of the routing per run (the first at 70% of the steps, the last at the end).</summary>
    public const int Snapshots = 6;

    /// <summary>Validation batches the snapshots route (spread over the validation split).</summary>
    public const int ProbeBatches = 4;

    /// <summary>Share of input bytes replaced for <c>noisy_probe_loss</c> (the spec's 5%).</summary>
    public const double NoiseFraction = 0.05;

    /// <inheritdoc/>
    /// <exception cref="InvalidRecipeException">An arm does not use the byte tokenizer.</exception>
    public IReadOnlyList<ComparisonRow> Run(Reproduction reproduction, IReadOnlyList<ComparisonArm> arms, int seeds, string directory,
        TrainOptions? options, Action<string, ulong, int, int>? started, IProgress<TrainStep>? progress, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(reproduction);
        ArgumentNullException.ThrowIfNull(arms);
        foreach (var a in arms)
            if (a.Recipe.Tokenizer != "byte")
                throw new InvalidRecipeException(reproduction.Name, 0, $"procedure '{Name}': arm '{a.Label}' uses tokenizer '{a.Recipe.Tokenizer}'; it needs \"byte\" (random replacement bytes)");
        var byLabel = arms.ToDictionary(a => a.Label, StringComparer.Ordinal);
        Probe? probe = null;
        var hooked = (options ?? new TrainOptions()) with
        {
            BeforeStep = (step, model) =>
            {
                probe?.BeforeStep(step, model);
                options?.BeforeStep?.Invoke(step, model);
            },
        };
        return RouterComparison.Run(reproduction.Recipe, arms, seeds, directory, hooked,
            (label, seed, index, total) =>
            {
                probe = new Probe(byLabel[label].Recipe with { Seed = seed });
                started?.Invoke(label, seed, index, total);
            },
            progress, cancel, (_, _, result) => probe!.Finish(result));
    }

    /// <summary>The steps (model state after that many steps) at which <paramref name="steps"/> steps of training are sampled.</summary>
    internal static IReadOnlyList<int> SnapshotSteps(int steps)
    {
        int first = (int)Math.Ceiling(0.7 * steps);
        var list = new List<int>(Snapshots);
        for (int j = 0; j < Snapshots; j++) list.Add(first + (int)Math.Round((double)(steps - first) * j / (Snapshots - 1)));
        return [.. list.Distinct()];
    }

    /// <summary>The fraction of entries that differ between consecutive snapshots, averaged over the consecutive pairs (0 with fewer than two).</summary>
    internal static double FluctuationRate(IReadOnlyList<int[]> snapshots)
    {
        if (snapshots.Count < 2) return 0;
        double sum = 0;
        for (int s = 1; s < snapshots.Count; s++)
        {
            int[] a = snapshots[s - 1], b = snapshots[s];
            if (a.Length != b.Length) throw new ArgumentException("snapshots of different sizes", nameof(snapshots));
            int changed = 0;
            for (int i = 0; i < a.Length; i++) if (a[i] != b[i]) changed++;
            sum += a.Length == 0 ? 0 : (double)changed / a.Length;
        }
        return sum / (snapshots.Count - 1);
    }

    /// <summary>The top-1 expert of every token in every routed MoE layer of one forward pass (−1: the token kept no expert), layer-major.</summary>
    internal static int[] TopOne(DecoderModel model, IReadOnlyList<(int[] Inputs, int Batch, int Seq)> batches, Tape tape)
    {
        bool training = model.Training;
        var sink = model.StatsSink;
        var routing = model.RoutingContext;
        var (tasks, languages, families, modalities, roles) = (routing.TaskIds, routing.LanguageIds, routing.LanguageFamilyIds, routing.ModalityIds, routing.TokenRoles);
        model.Training = false;
        model.StatsSink = null;
        routing.ClearSideIds();
        var result = new List<int>();
        try
        {
            foreach (var (inputs, batch, seq) in batches)
            {
                tape.Reset();
                using (tape.NoGrad()) model.Forward(tape, inputs, batch, seq);
                for (int l = 0; l < model.Layers.Count; l++)
                    foreach (var moe in model.Layers[l].FeedForward.RoutedLayers)
                    {
                        ReadOnlySpan<int> offsets = moe.Plan.SelectedOffsets, chosen = moe.Plan.SelectedExpert;
                        for (int i = 0; i < moe.Plan.Items; i++) result.Add(offsets[i + 1] > offsets[i] ? chosen[offsets[i]] : -1);
                    }
            }
            tape.Reset();
            return [.. result];
        }
        finally
        {
            model.Training = training;
            model.StatsSink = sink;
            (routing.TaskIds, routing.LanguageIds, routing.LanguageFamilyIds, routing.ModalityIds, routing.TokenRoles) = (tasks, languages, families, modalities, roles);
        }
    }

    // One run's probe: its validation tokens (same split as the trainer's for that seed), the snapshot steps and the snapshots so far.
    sealed class Probe
    {
        readonly List<(int[] Inputs, int[] Targets, float[] Mask, int Batch, int Seq)> _batches = [];
        readonly HashSet<int> _at;
        readonly int _steps;
        readonly List<int[]> _snapshots = [];
        readonly Tape _tape = new();
        readonly ulong _seed;

        public Probe(Recipe recipe)
        {
            _steps = recipe.Steps;
            _seed = recipe.Seed;
            _at = [.. SnapshotSteps(recipe.Steps)];
            DataMixture mixture = MixtureCatalog.Build(recipe.Mixture, ByteTokenizer.Instance, recipe.Seed, recipe.ValidationFraction);
            var eval = mixture.Evaluation(recipe.BatchSize, recipe.SeqLen);
            int stride = Math.Max(1, eval.Batches / ProbeBatches), index = 0;
            foreach (TokenBatch b in eval)
            {
                if (index++ % stride != 0 || _batches.Count == ProbeBatches || b.Rows != b.BatchSize) continue;
                _batches.Add(((int[])b.Inputs.Clone(), (int[])b.Targets.Clone(), (float[])b.LossMask.Clone(), b.BatchSize, b.SequenceLength));
            }
        }

        IReadOnlyList<(int[] Inputs, int Batch, int Seq)> Inputs => [.. _batches.Select(b => (b.Inputs, b.Batch, b.Seq))];

        // Called before step `step`: the model holds the state after step − 1.
        public void BeforeStep(int step, DecoderModel model)
        {
            if (_at.Contains(step - 1) && step - 1 < _steps) _snapshots.Add(TopOne(model, Inputs, _tape));
        }

        public IReadOnlyDictionary<string, double> Finish(TrainResult result)
        {
            DecoderModel model = DecoderModel.FromPretrained(result.RunDirectory, MoeFeedForward.Factory);
            if (_at.Contains(_steps)) _snapshots.Add(TopOne(model, Inputs, _tape));
            double clean = ProbeLoss(model, noisy: false), noisy = ProbeLoss(model, noisy: true);
            return new Dictionary<string, double>(StringComparer.Ordinal)
            {
                ["fluctuation_rate"] = FluctuationRate(_snapshots),
                ["probe_loss"] = clean,
                ["noisy_probe_loss"] = noisy,
            };
        }

        double ProbeLoss(DecoderModel model, bool noisy)
        {
            var rng = new Rng(_seed ^ 0x0415E);
            double sum = 0;
            foreach (var (inputs, targets, mask, batch, seq) in _batches)
            {
                int[] ids = (int[])inputs.Clone();
                if (noisy)
                    for (int i = 0; i < ids.Length; i++)
                        if (rng.NextDouble() < NoiseFraction) ids[i] = rng.NextInt(256);
                _tape.Reset();
                using (_tape.NoGrad()) model.Loss(_tape, ids, targets, mask, batch, seq);
                sum += model.LastCrossEntropy;
            }
            _tape.Reset();
            return _batches.Count == 0 ? double.NaN : sum / _batches.Count;
        }
    }
}
