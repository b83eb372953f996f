using System.Text.Json;
using Switchyard.Experts;
using Switchyard.Nn;
using Switchyard.Nn.Layers;
using Switchyard.Tensors;

namespace Switchyard.Models;

/// <summary>
/// Conversion <c>upcycle-ternary</c> (MoTE's up-cycling, shared/specs/token-routers.md §18b): from a dense model
/// into a model whose MoE layers have a shared expert (block kind <c>mote</c>). Per layer, the dense FFN is
/// copied into the shared expert, which is frozen, and into every routed expert (float32 or the latent weights
/// of ternary experts): whole when the expert is as wide as the FFN, else expert e takes hidden slice
/// e mod (F/width) (MoE-fication: the slices together are the FFN). Every other parameter present in both
/// models (attention, norms, embeddings) is copied by name.
/// </summary>
/// <remarks>
/// Identical experts would get identical gradients, and a ternary copy of the FFN is one fixed pattern: each
/// routed matrix gets Gaussian noise of std <c>noise</c> × its own RMS (default 0.1) and each expert a scale
/// drawn from U(1 − <c>scale_jitter</c>, 1 + <c>scale_jitter</c>) (default 0), so the ternary experts start from
/// different patterns and scales α (the spec's pitfall). Options: <c>noise</c>, <c>scale_jitter</c>.
/// </remarks>
public static class TernaryUpcycling
{
    /// <summary>The conversion's name in <see cref="ModelConversions"/>.</summary>
    public const string Name = "upcycle-ternary";

    /// <summary>Applies the conversion (see the type's summary).</summary>
    /// <exception cref="InvalidConfigException">Bad options, no layer to up-cycle, or widths that do not fit.</exception>
    public static void Apply(DecoderModel source, DecoderModel target, JsonElement? options, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(rng);
        var (noise, jitter) = ReadOptions(options);
        if (source.Layers.Count != target.Layers.Count)
            throw new InvalidConfigException(null, "init", $"a source model with the target's {target.Layers.Count} layers", $"{source.Layers.Count} layers");
        CopyShared(source, target);
        int converted = 0;
        for (int i = 0; i < target.Layers.Count; i++)
        {
            if (target.Layers[i].FeedForward is not MoeFeedForward { Layer: { SharedExpert: { } shared } moe }) continue;
            if (source.Layers[i].FeedForward is not DenseFeedForward dense)
                throw new InvalidConfigException(null, "init", $"a dense feed-forward in layer {i} of the source model", source.Layers[i].FeedForward.GetType().Name);
            Linear gate = Plain(dense.GateProj, i), up = Plain(dense.UpProj, i), down = Plain(dense.DownProj, i);
            int f = dense.IntermediateSize, d = dense.HiddenSize;
            if (shared.IntermediateSize != f)
                throw new InvalidConfigException(null, "init", $"a shared expert as wide as the dense FFN ({f}) in layer {i}", $"width {shared.IntermediateSize}");
            Copy(gate.Weight, Plain(shared.GateProj, i).Weight);
            Copy(up.Weight, Plain(shared.UpProj, i).Weight);
            Copy(down.Weight, Plain(shared.DownProj, i).Weight);
            shared.SetTrainable(false);
            SwiGluExperts experts = moe.Experts switch
            {
                TernaryExperts t => t.Latent,
                SwiGluExperts s => s,
                var other => throw new InvalidConfigException(null, "init", $"SwiGLU or ternary routed experts in layer {i}", other.GetType().Name),
            };
            int w = experts.Width;
            if (f % w != 0)
                throw new InvalidConfigException(null, "init", $"a routed expert width dividing the dense width {f} in layer {i}", $"width {w}");
            for (int e = 0; e < experts.Experts; e++)
            {
                int slice = e % (f / w);
                SwiGluExpertView view = experts.Expert(e);
                float scale = 1f + jitter * (2f * rng.NextFloat() - 1f);
                // [F, d] row slices of gate and up; [d, F] column slice of down.
                Fill(view.Gate.Value.Span, gate.Weight.Value.Span.Slice(slice * w * d, w * d), scale, noise, rng);
                Fill(view.Up.Value.Span, up.Weight.Value.Span.Slice(slice * w * d, w * d), scale, noise, rng);
                Span<float> dst = view.Down.Value.Span;
                ReadOnlySpan<float> src = down.Weight.Value.Span;
                for (int r = 0; r < d; r++) src.Slice(r * f + slice * w, w).CopyTo(dst.Slice(r * w, w));
                Fill(dst, dst, scale, noise, rng);
            }
            converted++;
        }
        if (converted == 0)
            throw new InvalidConfigException(null, "init", "a target model with MoE layers that have a shared expert (block \"mote\")", "none");
    }

    static (float Noise, float Jitter) ReadOptions(JsonElement? options)
    {
        float noise = 0.1f, jitter = 0f;
        if (options is not { } o) return (noise, jitter);
        const string valid = "valid options: noise (number ≥ 0, default 0.1), scale_jitter (number in [0, 1), default 0)";
        if (o.ValueKind != JsonValueKind.Object) throw new InvalidConfigException(null, "init.options", $"an object ({valid})", o.GetRawText());
        foreach (JsonProperty p in o.EnumerateObject())
        {
            double v = p.Value.ValueKind == JsonValueKind.Number ? p.Value.GetDouble() : double.NaN;
            switch (p.Name)
            {
                case "noise" when v >= 0: noise = (float)v; break;
                case "scale_jitter" when v is >= 0 and < 1: jitter = (float)v; break;
                case "noise" or "scale_jitter":
                    throw new InvalidConfigException(null, "init.options." + p.Name, $"a number in range ({valid})", p.Value.GetRawText());
                default:
                    throw new InvalidConfigException(null, "init.options." + p.Name, $"a known option ({valid})", $"unknown option \"{p.Name}\"");
            }
        }
        return (noise, jitter);
    }

    // Attention, norms and embeddings: every same-named, same-shaped parameter.
    static void CopyShared(DecoderModel source, DecoderModel target)
    {
        var from = source.NamedParameters().ToDictionary(x => x.Name, x => x.Parameter, StringComparer.Ordinal);
        foreach (var (name, p) in target.NamedParameters())
            if (from.TryGetValue(name, out var s) && s.Shape == p.Shape) Copy(s, p);
    }

    static Linear Plain(ILinearLayer layer, int index) => layer as Linear
        ?? throw new InvalidConfigException(null, "init", $"plain linear projections in layer {index}", layer.GetType().Name);

    static void Copy(Parameter from, Parameter to)
    {
        if (from.Shape != to.Shape) throw new InvalidConfigException(null, "init", $"shape {to.Shape}", $"shape {from.Shape}");
        from.Value.Span.CopyTo(to.Value.Span);
    }

    // dst = scale·(src + N(0, (noise·rms(src))²)); src may alias dst.
    static void Fill(Span<float> dst, ReadOnlySpan<float> src, float scale, float noise, Rng rng)
    {
        double sq = 0;
        foreach (float v in src) sq += (double)v * v;
        float std = noise * (float)Math.Sqrt(sq / Math.Max(1, src.Length));
        for (int i = 0; i < dst.Length; i++) dst[i] = scale * (src[i] + (std > 0 ? std * rng.NextNormal() : 0f));
    }
}
