using Switchyard.Autograd;
using Switchyard.Nn;
using Switchyard.Tensors;

namespace Switchyard.Routing.Scorers;

/// <summary>
/// Read-ME's pre-gating router (arXiv 2410.19123; shared/specs/token-routers.md §15): scores that depend only on the
/// token ids, never on the layer's hidden state, so a token's route is known before the backbone runs. A tiny causal
/// model: the embeddings of the token and its <see cref="Window"/> − 1 predecessors in the same sequence (zeros before
/// the start) are concatenated, then logits = W₂·silu(W₁·[e_t, e_t−1, …]) — a causal convolution over the ids with one
/// hidden layer. The paper's router is a small causal transformer; a fixed window keeps this one cheap and its context
/// explicit (the spec's pitfall: the pre-gate sees no deep context, only its own window).
/// </summary>
/// <remarks>
/// <para>A <b>leader</b> (built with parameters) computes the scores and, when <see cref="Share"/> is set, writes them to
/// <see cref="RouterState.SharedScores"/>; a <b>follower</b> (<see cref="Follower"/>, no parameters) returns those
/// scores, so one router's plan serves every MoE layer of the pass (the model resets the state per pass). Ids are
/// taken modulo <see cref="Vocabulary"/>.</para>
/// <para>Parameters: <c>embed</c> [V, w], <c>hidden</c> [h, W·w], <c>out</c> [E, h].</para>
/// </remarks>
public sealed class PreGateScorer : Module, IScorer
{
    readonly Parameter? _embed, _hidden, _out;
    int[] _ids = [];

    /// <summary>A leader pre-gate over <paramref name="vocabulary"/> ids with N(0, <paramref name="initStd"/>²) weights.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive.</exception>
    public PreGateScorer(int vocabulary, int experts, int window, int width, int hidden, Rng rng, bool share = true, float initStd = 0.02f)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocabulary);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(experts);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(window);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hidden);
        Vocabulary = vocabulary;
        Experts = experts;
        Window = window;
        Share = share;
        _embed = AddParameter(new Parameter("embed", new Shape(vocabulary, width)));
        _hidden = AddParameter(new Parameter("hidden", new Shape(hidden, window * width)));
        _out = AddParameter(new Parameter("out", new Shape(experts, hidden)));
        rng.FillNormal(_embed.Value.Span, 1f); // unit embeddings: the window features start O(1)
        rng.FillNormal(_hidden.Value.Span, 1f / MathF.Sqrt(window * width));
        rng.FillNormal(_out.Value.Span, initStd);
    }

    PreGateScorer(int experts)
    {
        Experts = experts;
        Share = true;
    }

    /// <summary>A follower: returns the scores a leader wrote to <see cref="RouterState.SharedScores"/> earlier in the pass.</summary>
    public static PreGateScorer Follower(int experts)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(experts);
        return new PreGateScorer(experts);
    }

    /// <inheritdoc/>
    public int Experts { get; }

    /// <inheritdoc/>
    public GateActivation Activation => GateActivation.Softmax;

    /// <summary>Whether this scorer computes (leader) rather than reuses (follower) the scores.</summary>
    public bool IsLeader => _embed is not null;

    /// <summary>Whether a leader publishes its scores for the followers.</summary>
    public bool Share { get; }

    /// <summary>Ids of the embedding table (larger ids are taken modulo); 0 for a follower.</summary>
    public int Vocabulary { get; }

    /// <summary>Tokens the router sees: the current one and Window − 1 before it; 0 for a follower.</summary>
    public int Window { get; }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">A follower finds no shared scores of this batch, or a leader gets no token ids.</exception>
    public Var Score(Tape tape, Var x, RoutingContext context)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(context);
        int n = x.Shape.Rows;
        if (!IsLeader)
        {
            Var? shared = context.State?.SharedScores;
            if (shared is null || shared.Shape != new Shape(n, Experts))
                throw new InvalidOperationException("a follower pre-gate needs the scores of a leader pre-gate routed earlier in the same pass (RouterState.SharedScores)");
            return shared;
        }
        ReadOnlySpan<int> ids = context.TokenIds.Span;
        if (ids.Length != n) throw new InvalidOperationException($"the pre-gate routes by token id: {n} items but {ids.Length} token ids");
        int seq = context.SequenceLength > 0 ? context.SequenceLength : n;
        int w = _embed!.Shape[1];
        if (_ids.Length < n) _ids = new int[n];
        Var embed = _embed.Use(tape);
        var parts = new Var[Window];
        for (int j = 0; j < Window; j++)
        {
            // Token t − j of the same sequence, or a zero vector before its start (causal).
            var mask = tape.Allocate(new Shape(n, w), zero: false);
            Span<float> m = mask.Span;
            for (int t = 0; t < n; t++)
            {
                bool inside = t % seq >= j;
                _ids[t] = inside ? (int)((uint)ids[t - j] % (uint)Vocabulary) : 0;
                m.Slice(t * w, w).Fill(inside ? 1f : 0f);
            }
            parts[j] = tape.Mul(tape.IndexSelect(embed, _ids.AsSpan(0, n)), tape.Constant(mask));
        }
        Var features = Window == 1 ? parts[0] : tape.Concat(parts);
        Var logits = tape.Linear(tape.Silu(tape.Linear(features, _hidden!.Use(tape))), _out!.Use(tape));
        if (Share && context.State is { } state) state.SharedScores = logits;
        return logits;
    }
}
