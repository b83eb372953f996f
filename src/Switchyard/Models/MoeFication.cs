using System.Text.Json;
using Switchyard.Experts;
using Switchyard.Nn.Layers;
using Switchyard.Routing;
using Switchyard.Routing.Scorers;
using Switchyard.Routing.Selectors;
using Switchyard.Tensors;

namespace Switchyard.Models;

/// <summary>
/// Dynamic-DINO MoE-fication (arXiv 2507.17436; shared/specs/token-routers.md §18a), the <c>moefy</c> conversion: each
/// dense SwiGLU FFN (W_gate, W_up [D_h, d], W_down [d, D_h]) is cut into g slices of D_h/g hidden units,
/// F_i(x) = W_down[:, S_i]·(silu(W_gate[S_i]·x) ∘ W_up[S_i]·x), so FFN(x) = Σ_i F_i(x) (gate and up are sliced
/// together, which keeps the SwiGLU product per unit); every slice is copied into N experts, E = N·g, expert
/// e = i·N + n holding slice i = e / N. The router starts so that every token picks exactly one replica of every slice
/// with weight 1, so the converted model computes the dense model's function before any update.
/// </summary>
/// <remarks>
/// <para><b>Router initialisation</b> (the paper's exact formula is not verified): gate row e = u_n with n = e mod N, one
/// random vector u_n ~ N(0, σ²) per replica index shared by all slices. Then every slice's N scores are the same N
/// numbers u_n·x, so the largest value appears exactly g times (once per slice) and a top-k with k = g takes exactly
/// replica n* = argmax_n u_n·x of each slice, with equal probabilities; renormalised over the k and scaled by g
/// (<c>dynamic-dino</c>'s <c>gate_scale</c> = k) each weight is 1. The random u_n is the symmetry-breaking noise:
/// different tokens already go to different replicas at step 0, and since the renormalised gates have a gradient
/// (d w_e/d s_e = g·q(1 − q) ≠ 0) the per-slice rows drift apart during MoE-tuning and the ties dissolve.</para>
/// <para>Everything else (embeddings, attention, norms, head) is copied by name. The source must be dense where the
/// target is MoE; target experts must be SwiGLU experts of width D_h/g with a softmax linear gate, a top-k selector
/// with k = g, renormalised weights scaled by g and no capacity limit.</para>
/// </remarks>
public static class MoeFication
{
    /// <summary>The conversion's name in <see cref="ModelConversions"/> and recipes.</summary>
    public const string Name = "moefy";

    static readonly (string, string)[] s_options =
    [
        ("granularity", "integer g ≥ 1, slices per FFN (default: the target router's k)"),
        ("replicas", "integer N ≥ 1, copies of each slice (default: E / g)"),
        ("router_std", "number σ ≥ 0, std of the per-replica router rows (default 0.02)"),
    ];

    /// <summary>Converts <paramref name="source"/> (dense FFNs) into <paramref name="target"/> (MoE layers).</summary>
    /// <exception cref="InvalidConfigException">Bad options, or models that do not fit the split (the message says which layer and why).</exception>
    public static void Convert(DecoderModel source, DecoderModel target, JsonElement? options, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(rng);
        var o = new ConversionOptions(Name, options, s_options);
        int? granularity = o.Int("granularity", 0, 1) is int g and > 0 ? g : null;
        int? replicas = o.Int("replicas", 0, 1) is int n and > 0 ? n : null;
        float std = (float)o.Number("router_std", 0.02, 0, 10);
        if (source.Layers.Count != target.Layers.Count)
            throw o.Bad("init", $"a source with the target's {target.Layers.Count} layers", $"{source.Layers.Count}");
        ModelConversions.CopyByName(source, target, null, rng);
        int converted = 0;
        for (int i = 0; i < target.Layers.Count; i++)
        {
            if (target.Layers[i].FeedForward is not MoeFeedForward moe) continue;
            if (source.Layers[i].FeedForward is not DenseFeedForward dense)
                throw o.Bad($"init (layer {i})", "a dense FFN in the source where the target is MoE", source.Layers[i].FeedForward.GetType().Name);
            string? why = Check(dense, moe.Layer, granularity, replicas, out int gg, out int nn);
            if (why is not null) throw o.Bad($"init (layer {i})", "a target MoE layer that fits the split", why);
            Split(dense, moe.Layer, gg, nn, std, rng);
            converted++;
        }
        if (converted == 0) throw o.Bad("init", "a target model with at least one MoE layer", "none");
    }

    /// <summary>
    /// Writes the split of <paramref name="dense"/> into <paramref name="moe"/>'s experts and router (g slices × N replicas,
    /// router rows u_n ~ N(0, <paramref name="routerStd"/>²) per replica index).
    /// </summary>
    /// <exception cref="ArgumentException">The layer does not fit (<see cref="Check"/>'s reason).</exception>
    public static void Split(DenseFeedForward dense, MoeLayer moe, int granularity, int replicas, float routerStd, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(dense);
        ArgumentNullException.ThrowIfNull(moe);
        ArgumentNullException.ThrowIfNull(rng);
        if (Check(dense, moe, granularity, replicas, out int g, out int n) is { } why) throw new ArgumentException(why, nameof(moe));
        var experts = (SwiGluExperts)moe.Experts;
        var scorer = (LinearScorer)moe.Router.Scorer;
        int d = dense.HiddenSize, width = dense.IntermediateSize / g;
        ReadOnlySpan<float> wg = Weight(dense.GateProj).Span, wu = Weight(dense.UpProj).Span, wd = Weight(dense.DownProj).Span;
        for (int e = 0; e < g * n; e++)
        {
            int slice = e / n;
            SwiGluExpertView view = experts.Expert(e);
            // Rows S_i of gate and up ([D_h, d] row-major: a contiguous block); columns S_i of down ([d, D_h]).
            wg.Slice(slice * width * d, width * d).CopyTo(view.Gate.Value.Span);
            wu.Slice(slice * width * d, width * d).CopyTo(view.Up.Value.Span);
            Span<float> down = view.Down.Value.Span;
            for (int r = 0; r < d; r++)
                wd.Slice(r * dense.IntermediateSize + slice * width, width).CopyTo(down.Slice(r * width, width));
        }
        Span<float> gate = scorer.Weight.Value.Span;
        var u = new float[n * d];
        if (routerStd > 0) rng.FillNormal(u, routerStd);
        for (int e = 0; e < g * n; e++) u.AsSpan((e % n) * d, d).CopyTo(gate.Slice(e * d, d));
    }

    /// <summary>Why <paramref name="moe"/> cannot hold the split of <paramref name="dense"/> (null when it can); resolves g and N.</summary>
    public static string? Check(DenseFeedForward dense, MoeLayer moe, int? granularity, int? replicas, out int g, out int n)
    {
        ArgumentNullException.ThrowIfNull(dense);
        ArgumentNullException.ThrowIfNull(moe);
        g = n = 0;
        if (moe.Experts is not SwiGluExperts experts) return $"experts of kind {moe.Experts.GetType().Name} (SwiGLU experts needed)";
        if (moe.SharedExpert is not null) return "a shared expert (the split has none)";
        if (moe.Router.Scorer is not LinearScorer { Activation: GateActivation.Softmax } scorer || moe.Router.NullExperts > 0)
            return "a router that is not a softmax linear gate over the experts (use router \"dynamic-dino\")";
        if (moe.Router.Selector is not TopKSelector sel) return $"selector {moe.Router.Selector.GetType().Name} (top-k needed)";
        if (dense.GateProj is not Linear || dense.UpProj is not Linear || dense.DownProj is not Linear) return "a source FFN whose projections are not plain linear layers";
        if (scorer.NoiseWeight is not null) return "a noisy gate";
        g = granularity ?? sel.K;
        int e = experts.Experts;
        n = replicas ?? (g > 0 ? e / g : 0);
        if (g < 1 || dense.IntermediateSize % g != 0) return $"granularity {g} that does not divide the dense width {dense.IntermediateSize}";
        if (n < 1 || n * g != e) return $"{e} experts, not replicas × granularity = {n} × {g}";
        if (experts.Width != dense.IntermediateSize / g) return $"expert width {experts.Width}, not {dense.IntermediateSize}/{g} = {dense.IntermediateSize / g}";
        if (experts.ModelDim != dense.HiddenSize) return $"model width {experts.ModelDim}, not the source's {dense.HiddenSize}";
        if (sel.K != g) return $"k = {sel.K}, not the granularity {g} (one replica of every slice per token)";
        GateSpec gate = sel.Gate;
        if (gate.Weighting != GateWeighting.Normalized || gate.Scale != g)
            return $"weights {gate.Weighting} × {gate.Scale}, not renormalised × {g} (router \"dynamic-dino\" with gate_scale 0 = k)";
        if (sel.CapacityFactor > 0) return "a capacity limit (dropped slices would change the output)";
        if (sel.Bias is not null || sel.Groups > 1) return "a selection bias or group-limited routing";
        return null;
    }

    static Tensor Weight(Nn.ILinearLayer layer) => ((Linear)layer).Weight.Value;
}
