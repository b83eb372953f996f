using Switchyard.Autograd;
using Switchyard.Nn;
using Switchyard.Routing.Scorers;
using Switchyard.Tensors;

namespace Switchyard.Routing.Balancers;

/// <summary>
/// T2MIR's task-router contrastive loss (arXiv 2506.05426, reference <c>contrastive_loss</c>): the router's
/// representation of a stretch of tokens should identify its task. Queries are the online gate's clean logits,
/// keys the logits of an EMA (momentum) copy of the gate, both mean-pooled over each <b>segment</b> = maximal run
/// of one task id inside one sequence; scores s(a, b) = q_a·W·k_bᵀ with a learned bilinear W [E, E] (CURL-style,
/// as the reference); the loss is multi-positive InfoNCE, mean over anchors a that have another segment of their task:
/// <c>L = −log Σ_{b≠a, task(b)=task(a)} softmax_b(s(a, ·))</c>, the softmax over all segments b ≠ a of the batch.
/// Recorded as <c>contrastive</c>.
/// </summary>
/// <remarks>
/// <para>Task ids (<see cref="RoutingContext.TaskIds"/>) are read only when <see cref="RoutingContext.Training"/>:
/// at inference the loss is not computed and the router routes by its features alone.</para>
/// <para>The EMA target (<c>target.w1</c>, <c>target.w2</c>, frozen: no gradient, no optimizer) starts as a copy of the
/// online gate and moves by θ′ ← (1 − τ)·θ′ + τ·θ in <see cref="AfterOptimizerStep"/>, which the trainer calls after
/// each optimizer step (the reference's <c>update_target_network</c>). A Module: the MoE block registers it, so <c>w</c>
/// is trained and checkpoints carry the target.</para>
/// <para>The reference pairs the two halves of a batch (same task order) and pools whole sequences; here a sequence
/// may hold several tasks (the synthetic-task windows), so positives are every other segment of the same task.</para>
/// </remarks>
public sealed class RouterContrastiveLoss : Module, IBalancer
{
    // Masks a segment's own column out of its softmax (exp underflows to exactly 0).
    const float Masked = -1e30f;
    // Guards log of a positive mass that underflowed; the gradient there is 0 rather than NaN.
    const float MinMass = 1e-30f;
    readonly MlpScorer _online;
    int[] _segment = [], _segTask = [], _segCount = [], _anchors = [], _rows = [], _perTask = [];

    /// <summary>Creates the loss for <paramref name="online"/> with coefficient <paramref name="alpha"/> (T2MIR 0.01) and EMA rate <paramref name="tau"/> (0.005).</summary>
    /// <exception cref="ArgumentOutOfRangeException">alpha is negative, or tau is outside (0, 1].</exception>
    public RouterContrastiveLoss(MlpScorer online, Rng rng, float alpha = 0.01f, float tau = 0.005f)
    {
        ArgumentNullException.ThrowIfNull(online);
        ArgumentNullException.ThrowIfNull(rng);
        if (!(alpha >= 0) || !float.IsFinite(alpha)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "must be ≥ 0");
        if (!(tau is > 0f and <= 1f)) throw new ArgumentOutOfRangeException(nameof(tau), tau, "must be in (0, 1]");
        _online = online;
        Alpha = alpha;
        Tau = tau;
        int e = online.Experts;
        Bilinear = AddParameter(new Parameter("w", new Shape(e, e)));
        rng.FillNormal(Bilinear.Value.Span, 1f); // torch.randn, as the reference's W
        Target = AddModule("target", new MlpScorer(online.ModelDim, e, rng, noisy: false));
        online.CopyTo(Target);
        Target.SetTrainable(false);
    }

    /// <summary>The coefficient α.</summary>
    public float Alpha { get; }

    /// <summary>The EMA rate τ.</summary>
    public float Tau { get; }

    /// <summary>The bilinear similarity W [E, E] (<c>w</c>), trained.</summary>
    public Parameter Bilinear { get; }

    /// <summary>The EMA target gate (frozen).</summary>
    public MlpScorer Target { get; }

    /// <inheritdoc/>
    public string Name => "contrastive";

    /// <inheritdoc/>
    public Var? Loss(Tape tape, in BalancerInput input, RoutingStatistics statistics)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(statistics);
        RoutingContext context = input.Context;
        // Task ids are training-only side information: never read outside a training step.
        if (!context.Training || _online.LastInput is not { } x || _online.LastClean is not { } clean) return null;
        int items = x.Shape[0];
        ReadOnlySpan<int> tasks = context.TaskIds.Span;
        if (tasks.Length != items || items == 0) return null;
        int segments = Segment(tasks, context.SequenceLength, items, out int valid);
        int anchors = Anchors(segments);
        if (anchors == 0) return null;

        Var key = tape.Constant(x.Value); // the target sees the same input, but no gradient reaches it
        Var q = Pool(tape, clean, valid, segments);
        Var k = Pool(tape, Target.Clean(tape, key), valid, segments); // frozen: a constant on the tape
        Var qa = tape.IndexSelect(q, _anchors.AsSpan(0, anchors));
        Var scores = tape.MatMul(tape.MatMul(qa, Bilinear.Use(tape)), k, transB: true); // [A, S]

        Tensor mask = tape.Allocate(new Shape(anchors, segments), zero: true), positive = tape.Allocate(new Shape(anchors, segments), zero: true);
        Span<float> m = mask.Span, pos = positive.Span;
        for (int i = 0; i < anchors; i++)
        {
            int a = _anchors[i];
            m[i * segments + a] = Masked;
            for (int b = 0; b < segments; b++)
                if (b != a && _segTask[b] == _segTask[a]) pos[i * segments + b] = 1f;
        }
        Var p = tape.Softmax(tape.Add(scores, tape.Constant(mask)));
        Var mass = tape.SumLastAxis(tape.Mul(p, tape.Constant(positive)));
        Var raw = tape.Scale(tape.Mean(tape.Log(tape.Clamp(mass, MinMass, float.PositiveInfinity))), -1f);
        statistics.AddAuxLoss(Name, raw.Value.Span[0], Alpha);
        return tape.Scale(raw, Alpha);
    }

    /// <summary>θ′ ← (1 − τ)·θ′ + τ·θ for the target gate: after the optimizer step, never before.</summary>
    public void AfterOptimizerStep()
    {
        Blend(Target.W1.Value.Span, _online.W1.Value.Span);
        Blend(Target.W2.Value.Span, _online.W2.Value.Span);
    }

    void Blend(Span<float> target, ReadOnlySpan<float> online)
    {
        float keep = 1f - Tau;
        for (int i = 0; i < target.Length; i++) target[i] = keep * target[i] + Tau * online[i];
    }

    // Mean over each segment's rows: [N, E] → [S, E].
    Var Pool(Tape tape, Var logits, int valid, int segments)
    {
        Var rows = tape.IndexSelect(logits, _rows.AsSpan(0, valid));
        Tensor w = tape.Allocate(new Shape(valid), zero: false);
        Span<float> ws = w.Span;
        for (int i = 0; i < valid; i++) ws[i] = 1f / _segCount[_segment[i]];
        return tape.ScatterAdd(rows, _segment.AsSpan(0, valid), tape.Constant(w), segments);
    }

    // Segments: maximal runs of one task id (≥ 0) inside one sequence. Fills _rows/_segment (per valid row) and
    // _segTask/_segCount (per segment); returns the number of segments.
    int Segment(ReadOnlySpan<int> tasks, int sequenceLength, int items, out int valid)
    {
        Grow(ref _rows, items); Grow(ref _segment, items); Grow(ref _segTask, items); Grow(ref _segCount, items);
        int seq = sequenceLength > 0 ? sequenceLength : items, segments = 0, previous = -1;
        valid = 0;
        for (int t = 0; t < items; t++)
        {
            int task = tasks[t];
            if (task < 0) { previous = -1; continue; }
            if (t % seq == 0 || task != previous)
            {
                _segTask[segments] = task;
                _segCount[segments] = 0;
                segments++;
            }
            previous = task;
            _rows[valid] = t;
            _segment[valid] = segments - 1;
            _segCount[segments - 1]++;
            valid++;
        }
        return segments;
    }

    // Segments with at least one other segment of their task.
    int Anchors(int segments)
    {
        Grow(ref _anchors, segments);
        int tasks = 0;
        for (int s = 0; s < segments; s++) tasks = Math.Max(tasks, _segTask[s] + 1);
        Grow(ref _perTask, tasks);
        Array.Clear(_perTask, 0, tasks);
        for (int s = 0; s < segments; s++) _perTask[_segTask[s]]++;
        int n = 0;
        for (int s = 0; s < segments; s++)
            if (_perTask[_segTask[s]] > 1) _anchors[n++] = s;
        return n;
    }

    static void Grow(ref int[] a, int size)
    {
        if (a.Length < size) a = new int[Math.Max(size, 2 * a.Length)];
    }
}
