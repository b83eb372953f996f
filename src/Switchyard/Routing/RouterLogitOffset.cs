using Switchyard.Autograd;
using Switchyard.Nn;
using Switchyard.Tensors;

namespace Switchyard.Routing;

/// <summary>
/// Test-time rerouting ("Rewiring Experts on the Fly", arXiv 2510.14853; shared/specs/token-routers.md §17a): one
/// vector δ ∈ R^E added to a router's logits, s' = s + δ, the same for every token. Attached to any
/// <see cref="Router"/> through <see cref="Router.LogitOffset"/> (the scorer and its weights are not copied);
/// δ starts at 0, so attaching changes nothing until δ is tuned.
/// </summary>
/// <remarks>
/// <para>A <see cref="Module"/> with one parameter <c>delta</c> [E]; it is not a child of the model, so checkpoints,
/// the trainer and the model's parameter list never see it.</para>
/// <para><see cref="StaleOffsets"/> models a key/value cache that was kept when δ changed: tokens at positions below
/// its row count are routed with the offset that was in effect when they were first computed (constants, no
/// gradient), later tokens with the current δ. The offset is added to the logits before the activation, so it
/// changes probabilities, selection and gates, and nothing else.</para>
/// </remarks>
public sealed class RouterLogitOffset : Module
{
    Tensor? _stale, _fresh;

    /// <summary>Creates δ = 0 for a router of <paramref name="experts"/> score columns (true and null experts).</summary>
    /// <exception cref="ArgumentOutOfRangeException">experts is not positive.</exception>
    public RouterLogitOffset(int experts)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(experts);
        Experts = experts;
        Delta = AddParameter(new Parameter("delta", new Shape(experts)) { WeightDecay = false });
    }

    /// <summary>Score columns E (δ's length).</summary>
    public int Experts { get; }

    /// <summary>The offset δ [E] (<c>delta</c>), 0 at creation.</summary>
    public Parameter Delta { get; }

    /// <summary>
    /// Per-position offsets [P, E] (row-major) used, as constants, for tokens at positions &lt; P instead of δ: what a
    /// stale key/value cache holds. Empty (the default) = every token uses δ.
    /// </summary>
    /// <exception cref="ArgumentException">The length is not a multiple of <see cref="Experts"/>.</exception>
    public ReadOnlyMemory<float> StaleOffsets
    {
        get;
        set => field = value.Length % Experts == 0 ? value
            : throw new ArgumentException($"{value.Length} stale offsets are not whole rows of {Experts} experts", nameof(StaleOffsets));
    }

    /// <summary>s' = <paramref name="logits"/> [N, E] + δ (per row), or the stale row for tokens before <see cref="StaleOffsets"/>' end.</summary>
    /// <exception cref="ShapeMismatchException">The logits are not [N, E].</exception>
    /// <exception cref="ArgumentException">Stale offsets are set and the context has no positions for the N items.</exception>
    public Var Apply(Tape tape, Var logits, RoutingContext context)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(context);
        int e = Experts;
        if (logits.Shape.Rank != 2 || logits.Shape[1] != e)
            throw new ShapeMismatchException("RouterLogitOffset logits", $"[N, {e}]", logits.Shape.ToString());
        Var delta = Delta.Use(tape);
        int stalePositions = StaleOffsets.Length / e;
        if (stalePositions == 0) return tape.Add(logits, delta);

        int n = logits.Shape[0];
        ReadOnlySpan<int> positions = context.Positions.Span;
        if (positions.Length != n)
            throw new ArgumentException($"stale offsets need the position of each of the {n} items; the context has {positions.Length}", nameof(context));
        // s + C + M∘δ: C holds the stale rows (0 elsewhere), M is 1 exactly on the rows that use the current δ.
        var shape = new Shape(n, e);
        if (_stale is null || _stale.Shape != shape) { _stale = new Tensor(shape); _fresh = new Tensor(shape); }
        Span<float> c = _stale.Span, m = _fresh!.Span;
        ReadOnlySpan<float> rows = StaleOffsets.Span;
        for (int i = 0; i < n; i++)
        {
            bool stale = positions[i] < stalePositions;
            Span<float> ci = c.Slice(i * e, e), mi = m.Slice(i * e, e);
            if (stale) { rows.Slice(positions[i] * e, e).CopyTo(ci); mi.Clear(); }
            else { ci.Clear(); mi.Fill(1f); }
        }
        Var broadcast = tape.Add(tape.Constant(tape.Allocate(shape, zero: true)), delta);
        return tape.Add(tape.Add(logits, tape.Constant(_stale)), tape.Mul(broadcast, tape.Constant(_fresh)));
    }
}
