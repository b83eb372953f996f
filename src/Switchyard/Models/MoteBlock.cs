using System.Text.Json;
using Switchyard.Experts;
using Switchyard.Nn.Layers;
using Switchyard.Routing;
using Switchyard.Tensors;

namespace Switchyard.Models;

/// <summary>
/// MoE block kind <c>mote</c> (MoTE, shared/specs/token-routers.md §18b): an always-on full-precision shared
/// SwiGLU expert, frozen, plus the layer's router (the recipe's; MoTE: softmax top-1 with a balance loss) over
/// E = <c>num_experts</c> routed experts, ternary (<see cref="TernaryExperts"/>) or, for the full-precision
/// baseline, float32 (<see cref="SwiGluExperts"/>). y = S(x) + Σ g_e·E_e(x). Meant to be filled from a dense
/// model by the <c>upcycle-ternary</c> conversion (<see cref="TernaryUpcycling"/>).
/// </summary>
/// <remarks>
/// The shared expert is frozen at construction (<c>freeze_shared</c>, default true), so it stays frozen on
/// resume and under any trainable scope: it enters the tape as a constant and the optimizer never touches it.
/// </remarks>
internal static class MoteBlock
{
    public const string Name = "mote";

    public static FeedForwardBlock Create(int layer, ModelConfig config, Rng rng, JsonElement? options, ReadOnlyMemory<long> tokenCounts)
    {
        var o = new BlockOptionReader(Name, options,
            ("ternary", "bool, ternary routed experts (false = float32 experts, the baseline); default true"),
            ("expert_width", "int ≥ 0, inner width of each routed expert (0 = the config's expert width); default 0"),
            ("shared_width", "int ≥ 0, inner width of the shared expert (0 = intermediate_size); default 0"),
            ("freeze_shared", "bool, freeze the shared expert; default true"),
            ("activation_bits", "int 0 or 2..16, per-token activation quantiser of ternary experts (0 = off); default 8"));
        bool ternary = o.Bool("ternary", true);
        int width = o.Int("expert_width", 0, 0), sharedWidth = o.Int("shared_width", 0, 0);
        bool freeze = o.Bool("freeze_shared", true);
        int bits = o.Int("activation_bits", 8, 0, 16);
        if (bits == 1) throw new InvalidConfigException(null, "switchyard.block_options.activation_bits", "0 (off) or 2..16", "1");
        if (width == 0) width = config.ExpertIntermediateSize;
        if (sharedWidth == 0) sharedWidth = config.IntermediateSize;
        int d = config.HiddenSize;
        float std = (float)config.InitializerRange;
        var naming = config.MoeNames == MoeTensorNames.Mixtral ? ExpertNaming.Mixtral : ExpertNaming.Projections;
        Router router = BlockRouter.Create(layer, config, rng, tokenCounts);
        IExpertSet experts = ternary
            ? new TernaryExperts(d, config.NumExperts, width, rng, std, naming, bits)
            : new SwiGluExperts(d, config.NumExperts, width, rng, std, naming);
        var shared = new SwiGluMlp(d, sharedWidth, rng, std);
        if (freeze) shared.SetTrainable(false);
        return new MoeFeedForward(new MoeLayer(router, experts, shared));
    }
}
