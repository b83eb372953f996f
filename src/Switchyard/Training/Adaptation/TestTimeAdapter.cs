using Switchyard.Autograd;
using Switchyard.Experts;
using Switchyard.Models;
using Switchyard.Nn;
using Switchyard.Nn.Optim;
using Switchyard.Routing;

namespace Switchyard.Training.Adaptation;

/// <summary>
/// Test-time rerouting ("Rewiring Experts on the Fly", arXiv 2510.14853; shared/specs/token-routers.md §17a): during
/// generation, a few Adam steps on additive router-logit offsets δ (<see cref="RouterLogitOffset"/>) of a few layers
/// minimise the language-model loss of the text so far; everything else stays frozen; the next N tokens are produced
/// with δ fixed; repeat. <see cref="Score"/> teacher-forces a continuation (loss per token), <see cref="Generate"/>
/// decodes greedily.
/// </summary>
/// <remarks>
/// <para>It works on the training model (<see cref="DecoderModel"/>, tape gradients), which recomputes the whole context
/// per forward pass; <see cref="TestTimeAdapterOptions.Cache"/> = <see cref="KvCachePolicy.Stale"/> reproduces exactly
/// what a kept key/value cache would hold by routing processed tokens with the offset of their time
/// (<see cref="RouterLogitOffset.StaleOffsets"/>). Side ids of the model's routing context are cleared (inference has none).</para>
/// <para>With <see cref="AdaptationScope.Routers"/> the same loop tunes the routers' weights instead (the comparison); they
/// are restored by <see cref="Reset"/> and at the start of every <see cref="Score"/>/<see cref="Generate"/>.</para>
/// </remarks>
public sealed class TestTimeAdapter
{
    readonly DecoderModel _model;
    readonly TestTimeAdapterOptions _options;
    readonly Tape _tape = new();
    readonly List<(int Layer, Router Router)> _routers = [];
    readonly List<(int Layer, Router Router, RouterLogitOffset Offset)> _attached = [];
    readonly List<(Parameter Parameter, float[] Saved)> _routerWeights = [];
    readonly List<int> _selected = [];
    AdamW? _optimizer;
    float[][] _stale = [];

    /// <summary>Creates the adapter for <paramref name="model"/> (nothing is attached until a prompt is seen).</summary>
    /// <exception cref="InvalidConfigException">An option is out of range, the model has no MoE layer, or an explicit layer is not one.</exception>
    public TestTimeAdapter(DecoderModel model, TestTimeAdapterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        _options = options ?? new TestTimeAdapterOptions();
        _options.Validate();
        for (int i = 0; i < model.Layers.Count; i++)
            foreach (MoeLayer moe in model.Layers[i].FeedForward.RoutedLayers)
            {
                _routers.Add((i, moe.Router));
                foreach (var (name, child) in moe.Children)
                    if (name == "gate")
                        foreach (Parameter p in child.Parameters())
                            if (p.Trainable) _routerWeights.Add((p, p.Value.Span.ToArray()));
            }
        if (_routers.Count == 0) throw TestTimeAdapterOptions.Bad("layers", "a model with MoE layers", "a model with none");
        int[] moeLayers = [.. _routers.Select(r => r.Layer).Distinct()];
        foreach (int l in _options.LayerIndices)
            if (!moeLayers.Contains(l)) throw TestTimeAdapterOptions.Bad("layer_indices", $"MoE layer indices ({string.Join(", ", moeLayers)})", l.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>The options.</summary>
    public TestTimeAdapterOptions Options => _options;

    /// <summary>Decoder-layer indices whose routers carry an offset (after a prompt was seen; empty for the routers scope).</summary>
    public IReadOnlyList<int> SelectedLayers => _selected;

    /// <summary>The attached offsets, in layer order.</summary>
    public IReadOnlyList<RouterLogitOffset> Offsets => [.. _attached.Select(a => a.Offset)];

    /// <summary>Adaptation rounds of the last <see cref="Score"/> or <see cref="Generate"/> (prefill included).</summary>
    public int Rounds { get; private set; }

    /// <summary>
    /// Starts on <paramref name="prompt"/>: resets, chooses the layers (explicit, or the highest mean routing entropy on
    /// the prompt, ties to the lower layer) and attaches δ = 0 to their routers, or readies the routers' weights.
    /// </summary>
    /// <exception cref="ArgumentException">The prompt is empty.</exception>
    public IReadOnlyList<int> Begin(ReadOnlySpan<int> prompt)
    {
        if (prompt.IsEmpty) throw new ArgumentException("the prompt has no tokens", nameof(prompt));
        Reset();
        var named = new List<(string, Parameter)>();
        if (_options.Scope == AdaptationScope.Routers)
        {
            foreach (var (p, _) in _routerWeights) named.Add((p.Name, p));
        }
        else
        {
            _selected.AddRange(_options.LayerIndices.Count > 0 ? _options.LayerIndices.Distinct().Order() : ByEntropy(prompt));
            foreach (var (layer, router) in _routers)
            {
                if (!_selected.Contains(layer)) continue;
                var offset = new RouterLogitOffset(router.Scorer.Experts);
                router.LogitOffset = offset;
                _attached.Add((layer, router, offset));
                named.Add(($"layers.{layer}.router_offset.delta", offset.Delta));
            }
        }
        _optimizer = new AdamW(named, (float)_options.LearningRate, weightDecay: 0f);
        return _selected;
    }

    /// <summary>Detaches every offset and restores the routers' weights: the model is as it was before <see cref="Begin"/>.</summary>
    public void Reset()
    {
        foreach (var (_, router, offset) in _attached)
            if (ReferenceEquals(router.LogitOffset, offset)) router.LogitOffset = null;
        _attached.Clear();
        _selected.Clear();
        foreach (var (p, saved) in _routerWeights) saved.CopyTo(p.Value.Span);
        _optimizer = null;
    }

    /// <summary>
    /// One adaptation round on <paramref name="context"/>: <see cref="TestTimeAdapterOptions.Steps"/> Adam steps on the
    /// tuned parameters minimising the mean next-token loss of the context (+ λ·Σ‖δ‖²), everything else frozen.
    /// Returns the context's loss (nats/token) before the round's last step, or NaN when the context has under 2 tokens.
    /// </summary>
    /// <exception cref="InvalidOperationException"><see cref="Begin"/> was not called.</exception>
    public double Adapt(ReadOnlySpan<int> context)
    {
        AdamW optimizer = _optimizer ?? throw new InvalidOperationException("call Begin with the prompt first");
        if (context.Length < 2 || _options.Steps == 0) return double.NaN;
        ClearSideIds();
        foreach (var a in _attached) a.Offset.StaleOffsets = default; // the round's forward sees every token with the current δ
        // Frozen = constants on the tape: the backward pass then reaches only δ (or the gates), not every weight.
        var tuned = new HashSet<Parameter>(TunedParameters(), ReferenceEqualityComparer.Instance);
        var frozen = new List<Parameter>();
        foreach (Parameter p in _model.Parameters())
            if (p.Trainable && !tuned.Contains(p)) { p.Trainable = false; frozen.Add(p); }
        bool training = _model.Training;
        _model.Training = false; // no jitter or noise: the routing that generation will use
        int n = context.Length - 1;
        double loss = double.NaN;
        try
        {
            for (int s = 0; s < _options.Steps; s++)
            {
                _tape.Reset();
                foreach (Parameter p in tuned) p.ZeroGrad();
                Var logits = _model.Forward(_tape, context[..n], 1, n);
                Var total = _tape.CrossEntropy(logits, context[1..]);
                loss = total.Value[0];
                if (_options.L2 > 0)
                    foreach (var a in _attached)
                    {
                        Var d = a.Offset.Delta.Use(_tape);
                        total = _tape.Add(total, _tape.Scale(_tape.Sum(_tape.Mul(d, d)), (float)_options.L2));
                    }
                if (!total.RequiresGrad) break; // nothing tunable reaches the loss (e.g. constant-weight routers)
                _tape.Backward(total);
                optimizer.Step();
            }
        }
        finally
        {
            _tape.Reset();
            foreach (Parameter p in frozen) p.Trainable = true;
            _model.Training = training;
        }
        return loss;
    }

    /// <summary>
    /// Teacher-forced evaluation: prefill <paramref name="prompt"/>, adapt, then per block of
    /// <see cref="TestTimeAdapterOptions.Interval"/> tokens of <paramref name="continuation"/> record each token's loss
    /// (nats) given everything before it with δ fixed into <paramref name="losses"/>, and adapt on the text so far.
    /// Starts with <see cref="Begin"/>; returns the mean loss of the continuation.
    /// </summary>
    /// <exception cref="ArgumentException">Empty prompt or continuation, or losses of another length.</exception>
    public double Score(ReadOnlySpan<int> prompt, ReadOnlySpan<int> continuation, Span<float> losses)
    {
        if (continuation.IsEmpty) throw new ArgumentException("the continuation has no tokens", nameof(continuation));
        if (losses.Length != continuation.Length) throw new ArgumentException($"{losses.Length} loss slots for {continuation.Length} tokens", nameof(losses));
        int[] text = [.. prompt, .. continuation];
        Run(text, prompt.Length, text.Length, losses, null);
        double sum = 0;
        foreach (float l in losses) sum += l;
        return sum / losses.Length;
    }

    /// <summary>Generates <paramref name="maxNewTokens"/> tokens greedily after <paramref name="prompt"/>, adapting every <see cref="TestTimeAdapterOptions.Interval"/> tokens. Starts with <see cref="Begin"/>.</summary>
    /// <exception cref="ArgumentException">The prompt is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">maxNewTokens is negative.</exception>
    public int[] Generate(ReadOnlySpan<int> prompt, int maxNewTokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxNewTokens);
        int[] text = [.. prompt, .. new int[maxNewTokens]];
        Run(text, prompt.Length, text.Length, default, text);
        return text[prompt.Length..];
    }

    // Rounds over text[0..end): adapt on text[0..pos), then decode tokens pos..pos+N−1 with δ fixed. Teacher-forced when
    // generated is null (losses of those tokens), else each token is the arg-max and is written into generated.
    void Run(int[] text, int promptLength, int end, Span<float> losses, int[]? generated)
    {
        Begin(text.AsSpan(0, promptLength));
        Rounds = 0;
        int e = _attached.Count == 0 ? 0 : _attached[0].Offset.Experts;
        _stale = [.. _attached.Select(a => new float[end * a.Offset.Experts])]; // offsets in effect per processed position; δ = 0 at prefill
        int vocab = _model.Config.VocabSize;
        var targets = new int[end];
        var tokenLoss = new float[end];
        for (int pos = promptLength; pos < end;)
        {
            Adapt(text.AsSpan(0, pos));
            Rounds++;
            int stop = Math.Min(end, pos + _options.Interval);
            // The last context token is re-run with the new δ; earlier ones keep theirs under the stale policy.
            SetStale(_options.Cache == KvCachePolicy.Stale ? pos - 1 : 0);
            if (generated is null)
            {
                int n = stop - 1;
                Array.Fill(targets, DecoderModel.IgnoreIndex, 0, n);
                for (int t = pos - 1; t < n; t++) targets[t] = text[t + 1];
                _tape.Reset();
                ClearSideIds();
                _model.PerTokenLoss(_tape, text.AsSpan(0, n), targets.AsSpan(0, n), 1, n, tokenLoss.AsSpan(0, n));
                tokenLoss.AsSpan(pos - 1, stop - pos).CopyTo(losses[(pos - promptLength)..]);
            }
            else
            {
                for (int t = pos; t < stop; t++)
                {
                    _tape.Reset();
                    ClearSideIds();
                    using (_tape.NoGrad())
                    {
                        Var logits = _model.Forward(_tape, text.AsSpan(0, t), 1, t);
                        generated[t] = ArgMax(logits.Value.Span.Slice((t - 1) * vocab, vocab));
                    }
                }
            }
            _tape.Reset();
            // Positions processed this round were computed with this round's δ: what a kept cache now holds.
            for (int a = 0; a < _attached.Count; a++)
            {
                ReadOnlySpan<float> delta = _attached[a].Offset.Delta.Value.Span;
                for (int t = pos - 1; t < stop - 1; t++) delta.CopyTo(_stale[a].AsSpan(t * e, e));
            }
            pos = stop;
        }
        SetStale(0);
    }

    void SetStale(int positions)
    {
        for (int a = 0; a < _attached.Count; a++)
        {
            RouterLogitOffset o = _attached[a].Offset;
            o.StaleOffsets = _stale[a].AsMemory(0, positions * o.Experts);
        }
    }

    IEnumerable<Parameter> TunedParameters() => _options.Scope == AdaptationScope.Routers
        ? _routerWeights.Select(w => w.Parameter)
        : _attached.Select(a => a.Offset.Delta);

    // Mean routing entropy per MoE layer on the prompt (no offsets attached yet), highest first.
    IEnumerable<int> ByEntropy(ReadOnlySpan<int> prompt)
    {
        bool training = _model.Training;
        _model.Training = false;
        _tape.Reset();
        ClearSideIds();
        var entropy = new Dictionary<int, (double Sum, int Count)>();
        var sink = _model.StatsSink;
        _model.StatsSink = new EntropySink(entropy);
        try
        {
            using (_tape.NoGrad()) _model.Forward(_tape, prompt, 1, prompt.Length);
        }
        finally
        {
            _model.StatsSink = sink;
            _model.Training = training;
            _tape.Reset();
        }
        return entropy.OrderByDescending(kv => kv.Value.Sum / kv.Value.Count).ThenBy(kv => kv.Key).Take(_options.Layers).Select(kv => kv.Key).Order().ToArray();
    }

    void ClearSideIds() => _model.RoutingContext.ClearSideIds();

    static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++) if (row[i] > row[best]) best = i;
        return best;
    }

    sealed class EntropySink(Dictionary<int, (double Sum, int Count)> entropy) : ILayerStatsSink
    {
        public void OnFeedForward(int layer, FeedForwardBlock block, int tokens)
        {
            foreach (MoeLayer moe in block.RoutedLayers)
            {
                var (sum, count) = entropy.GetValueOrDefault(layer);
                entropy[layer] = (sum + moe.Statistics.Entropy, count + 1);
            }
        }
    }
}
