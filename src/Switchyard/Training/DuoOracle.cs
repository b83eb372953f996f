using System.Numerics;
using Switchyard.Autograd;
using Switchyard.Experts;
using Switchyard.Models;
using Switchyard.Routing;
using Switchyard.Tensors;

namespace Switchyard.Training;

/// <summary>
/// Duo-LLM's oracle analysis (arXiv 2410.10846, shared/specs/token-routers.md §11, stage 2) of a model of
/// <c>duo</c> layers: per token, the pattern of B big layers (the others small) that minimises that token's
/// loss, against all-big, all-small and the best of random patterns with the same B. It reads the target
/// tokens, so it is an analysis, never a router. Patterns are forced through <see cref="SlotPatternOverride"/>;
/// losses come from <see cref="DecoderModel.PerTokenLoss"/>.
/// </summary>
/// <remarks>
/// <para><b>The approximation (spec (e)).</b> Attention couples tokens: a token's pattern changes the keys and values
/// later tokens read. The search evaluates each token with every other token fixed on the reference pattern, all
/// small: one pass per (probe position, candidate) forces the candidate on position t of every sequence and all small
/// elsewhere, over the prefix 0..t only (later tokens cannot affect token t). <see cref="DuoBudgetResult.Oracle"/> is the
/// mean of these per-token minima; <see cref="DuoBudgetResult.OracleJoint"/> then runs every token on its own pattern
/// at once, which accepts the coupling the search ignored.</para>
/// <para><b>Search.</b> Exhaustive over C(L, B) when L ≤ 12 and B ≤ 2 (<see cref="DuoOracleOptions"/>); otherwise greedy:
/// from all small, B times add the one big layer that lowers the token's loss most. Cost: probes × candidates passes of
/// S sequences of (t + 1) tokens.</para>
/// <para><b>Best of random.</b> Each of <see cref="DuoOracleOptions.RandomPatterns"/> draws gives every token its own
/// uniformly random set of exactly B big layers; the draw with the lowest mean loss over the probed tokens is reported
/// (a selection over whole draws, not per token: per token, 100 draws of C(L, B) ≤ 66 patterns would be the oracle).</para>
/// </remarks>
public static class DuoOracle
{
    /// <summary>Runs the analysis on <paramref name="sequences"/> sequences of <paramref name="length"/> tokens (<paramref name="inputs"/> and <paramref name="targets"/> [S·T], row s·T + t).</summary>
    /// <exception cref="ArgumentException">The model has a layer that is not a duo layer, or the sizes do not fit.</exception>
    public static DuoOracleReport Analyze(DecoderModel model, ReadOnlySpan<int> inputs, ReadOnlySpan<int> targets, int sequences, int length, DuoOracleOptions? options = null)
    {
        options ??= new DuoOracleOptions();
        var run = new Session(model, inputs, targets, sequences, length, options.ProbeStride);
        try
        {
            int layers = run.Layers;
            double allBig = run.MeanOverProbes(run.Full(_ => Session.AllBig(layers)));
            float[] smallLosses = run.Full(_ => 0);
            double allSmall = run.MeanOverProbes(smallLosses);
            var budgets = new List<DuoBudgetResult>();
            foreach (int b in options.Budgets)
            {
                if (b < 0 || b > layers) throw new ArgumentException($"budget {b} is outside 0..{layers} layers", nameof(options));
                bool exhaustive = layers <= options.ExhaustiveMaxLayers && b <= options.ExhaustiveMaxBudget;
                var (best, masks) = exhaustive ? run.Exhaustive(b) : run.Greedy(b);
                double oracle = run.MeanOverProbes(best);
                double joint = run.AllProbed ? run.MeanOverProbes(run.Full(token => masks[token])) : double.NaN;
                double difficulty = 0;
                var share = new double[layers];
                foreach (int token in run.Probes)
                {
                    difficulty += smallLosses[token] - best[token];
                    for (int l = 0; l < layers; l++) if ((masks[token] >> l & 1) != 0) share[l]++;
                }
                for (int l = 0; l < layers; l++) share[l] /= run.Probes.Length;
                var (bestRandom, meanRandom) = run.Random(b, options.RandomPatterns, new Rng(options.Seed + (ulong)b));
                budgets.Add(new DuoBudgetResult(b, exhaustive, oracle, joint, bestRandom, meanRandom, difficulty / run.Probes.Length, share));
            }
            return new DuoOracleReport(layers, run.Probes.Length, allBig, allSmall, budgets);
        }
        finally { run.Restore(); }
    }

    /// <summary>Evaluates the model with its own routers (no override): mean loss over the probed tokens and the slot shares.</summary>
    /// <exception cref="ArgumentException">The model has a layer that is not a duo layer, or the sizes do not fit.</exception>
    public static DuoRoutedResult Routed(DecoderModel model, ReadOnlySpan<int> inputs, ReadOnlySpan<int> targets, int sequences, int length, int probeStride = 1)
    {
        var run = new Session(model, inputs, targets, sequences, length, probeStride);
        try
        {
            model.RoutingContext.Override = null;
            float[] losses = run.Pass(run.Inputs, run.Targets, sequences, length);
            double big = 0, small = 0, skip = 0;
            foreach (MoeLayer m in run.MoeLayers)
            {
                RoutingPlan plan = m.Plan;
                double items = plan.Items;
                big += (plan.Offsets[DuoFeedForward.Big + 1] - plan.Offsets[DuoFeedForward.Big]) / items;
                small += (plan.Offsets[DuoFeedForward.Small + 1] - plan.Offsets[DuoFeedForward.Small]) / items;
                skip += plan.NullSelectedCount / items;
            }
            int layers = run.Layers;
            return new DuoRoutedResult(run.MeanOverProbes(losses), big / layers, small / layers, skip / layers);
        }
        finally { run.Restore(); }
    }

    /// <summary>
    /// Each probed token's loss on its own big-layer mask (<paramref name="maskOfToken"/>(row): bit l = big in layer l, else
    /// small) with every other token all small: the quantity the oracle minimises. Unprobed rows hold NaN.
    /// </summary>
    /// <exception cref="ArgumentException">The model has a layer that is not a duo layer, or the sizes do not fit.</exception>
    public static float[] FixedOthers(DecoderModel model, ReadOnlySpan<int> inputs, ReadOnlySpan<int> targets, int sequences, int length,
        Func<int, int> maskOfToken, int probeStride = 1)
    {
        ArgumentNullException.ThrowIfNull(maskOfToken);
        var run = new Session(model, inputs, targets, sequences, length, probeStride);
        try
        {
            var losses = new float[sequences * length];
            Array.Fill(losses, float.NaN);
            var masks = new int[losses.Length];
            foreach (int t in run.ProbePositions())
                run.Keep(t, run.Probe(t, maskOfToken), maskOfToken, losses, masks, _ => true, replace: true);
            return losses;
        }
        finally { run.Restore(); }
    }

    // One analysis: the model switched to evaluation with a pattern override, the data, the probed token rows.
    sealed class Session
    {
        readonly DecoderModel _model;
        readonly IRoutingOverride? _savedOverride;
        readonly bool _savedTraining;
        readonly SlotPatternOverride _override;
        readonly Tape _tape = new();
        readonly int _sequences, _length;

        public Session(DecoderModel model, ReadOnlySpan<int> inputs, ReadOnlySpan<int> targets, int sequences, int length, int probeStride)
        {
            ArgumentNullException.ThrowIfNull(model);
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sequences);
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(probeStride);
            if (inputs.Length != sequences * length || targets.Length != sequences * length)
                throw new ArgumentException($"{inputs.Length} inputs and {targets.Length} targets for {sequences} sequences of {length}", nameof(inputs));
            var layers = new List<MoeLayer>();
            for (int l = 0; l < model.Layers.Count; l++)
            {
                MoeLayer[] routed = [.. model.Layers[l].FeedForward.RoutedLayers];
                if (routed.Length != 1 || routed[0].Experts is not HeterogeneousExperts { Experts: 2 })
                    throw new ArgumentException($"layer {l} is not a duo layer (block \"{DuoFeedForward.Name}\": big and small experts)", nameof(model));
                layers.Add(routed[0]);
            }
            _model = model;
            MoeLayers = layers;
            Layers = layers.Count;
            _sequences = sequences;
            _length = length;
            Inputs = inputs.ToArray();
            Targets = targets.ToArray();
            var probes = new List<int>();
            for (int s = 0; s < sequences; s++)
                for (int t = 0; t < length; t += probeStride)
                    if (targets[s * length + t] != DecoderModel.IgnoreIndex) probes.Add(s * length + t);
            Probes = [.. probes];
            AllProbed = probeStride == 1;
            _override = new SlotPatternOverride(Layers);
            _savedOverride = model.RoutingContext.Override;
            _savedTraining = model.Training;
            model.Training = false;
            model.RoutingContext.Override = _override;
        }

        public IReadOnlyList<MoeLayer> MoeLayers { get; }
        public int Layers { get; }
        public int[] Inputs { get; }
        public int[] Targets { get; }
        public int[] Probes { get; } // rows s·T + t of the probed tokens
        public bool AllProbed { get; }

        public void Restore()
        {
            _model.RoutingContext.Override = _savedOverride;
            _model.Training = _savedTraining;
            _tape.Reset();
        }

        public double MeanOverProbes(float[] losses)
        {
            double sum = 0;
            foreach (int r in Probes) sum += losses[r];
            return Probes.Length == 0 ? double.NaN : sum / Probes.Length;
        }

        public float[] Pass(int[] ids, int[] targets, int sequences, int length)
        {
            var losses = new float[sequences * length];
            _tape.Reset();
            _model.PerTokenLoss(_tape, ids, targets, sequences, length, losses);
            _tape.Reset();
            return losses;
        }

        // Every token of the full sequences on its own big-layer mask (bit l set = big in layer l, else small).
        public float[] Full(Func<int, int> maskOfRow)
        {
            int n = _sequences * _length;
            for (int l = 0; l < Layers; l++)
            {
                int[] slots = Slots(l, n);
                for (int r = 0; r < n; r++) slots[r] = (maskOfRow(r) >> l & 1) != 0 ? DuoFeedForward.Big : DuoFeedForward.Small;
            }
            return Pass(Inputs, Targets, _sequences, _length);
        }

        public static int AllBig(int layers) => (1 << layers) - 1;

        public (float[] Best, int[] Masks) Exhaustive(int budget)
        {
            int[] candidates = [.. Enumerable.Range(0, 1 << Layers).Where(m => BitOperations.PopCount((uint)m) == budget)];
            var best = new float[_sequences * _length];
            var masks = new int[best.Length];
            Array.Fill(best, float.PositiveInfinity);
            foreach (int t in ProbePositions())
                foreach (int m in candidates)
                {
                    float[] losses = Probe(t, _ => m);
                    Keep(t, losses, _ => m, best, masks, _ => true);
                }
            return (best, masks);
        }

        public (float[] Best, int[] Masks) Greedy(int budget)
        {
            int n = _sequences * _length;
            var current = new int[n];
            var best = new float[n];
            for (int step = 0; step < budget; step++)
            {
                var chosen = new int[n];
                Array.Fill(best, float.PositiveInfinity);
                foreach (int t in ProbePositions())
                    for (int l = 0; l < Layers; l++)
                    {
                        int bit = 1 << l;
                        float[] losses = Probe(t, row => current[row] | bit);
                        Keep(t, losses, row => current[row] | bit, best, chosen, row => (current[row] & bit) == 0);
                    }
                Array.Copy(chosen, current, n);
            }
            if (budget == 0) return Exhaustive(0);
            return (best, current);
        }

        public (double Best, double Mean) Random(int budget, int draws, Rng rng)
        {
            int n = _sequences * _length;
            var masks = new int[n];
            Span<int> order = stackalloc int[Layers];
            double bestMean = double.PositiveInfinity, sum = 0;
            for (int k = 0; k < draws; k++)
            {
                for (int r = 0; r < n; r++)
                {
                    // B distinct layers: the first B of a partial Fisher–Yates shuffle.
                    for (int l = 0; l < Layers; l++) order[l] = l;
                    int mask = 0;
                    for (int j = 0; j < budget; j++)
                    {
                        int pick = j + rng.NextInt(Layers - j);
                        (order[j], order[pick]) = (order[pick], order[j]);
                        mask |= 1 << order[j];
                    }
                    masks[r] = mask;
                }
                double mean = MeanOverProbes(Full(r => masks[r]));
                sum += mean;
                bestMean = Math.Min(bestMean, mean);
            }
            return draws == 0 ? (double.NaN, double.NaN) : (bestMean, sum / draws);
        }

        // Positions t that hold at least one probed token.
        public IEnumerable<int> ProbePositions() => Probes.Select(r => r % _length).Distinct().Order();

        // One pass over the prefixes 0..t of every sequence: position t on the candidate mask, every other token all small.
        // Returns the losses of the prefix rows (s·(t+1) + t is sequence s's probe).
        public float[] Probe(int t, Func<int, int> maskOfRow)
        {
            int len = t + 1, n = _sequences * len;
            var ids = new int[n];
            var targets = new int[n];
            Array.Fill(targets, DecoderModel.IgnoreIndex);
            for (int s = 0; s < _sequences; s++)
            {
                Array.Copy(Inputs, s * _length, ids, s * len, len);
                targets[s * len + t] = Targets[s * _length + t];
            }
            for (int l = 0; l < Layers; l++)
            {
                int[] slots = Slots(l, n);
                Array.Fill(slots, DuoFeedForward.Small);
                for (int s = 0; s < _sequences; s++)
                    if ((maskOfRow(s * _length + t) >> l & 1) != 0) slots[s * len + t] = DuoFeedForward.Big;
            }
            return Pass(ids, targets, _sequences, len);
        }

        // Per probed token at position t: keep the candidate when it lowers the token's best loss.
        public void Keep(int t, float[] prefixLosses, Func<int, int> maskOfRow, float[] best, int[] masks, Func<int, bool> eligible, bool replace = false)
        {
            int len = t + 1;
            for (int s = 0; s < _sequences; s++)
            {
                int row = s * _length + t;
                if (Targets[row] == DecoderModel.IgnoreIndex || !eligible(row)) continue;
                float loss = prefixLosses[s * len + t];
                if (replace || loss < best[row]) { best[row] = loss; masks[row] = maskOfRow(row); }
            }
        }

        int[] Slots(int layer, int items)
        {
            if (_override.Slots[layer].Length != items) _override.Slots[layer] = new int[items];
            return _override.Slots[layer];
        }
    }
}
