using System.Text.Json;
using Switchyard.Routing.Balancers;
using Switchyard.Routing.Schedules;
using Switchyard.Routing.Scorers;
using Switchyard.Routing.Selectors;

namespace Switchyard.Routing.Catalog;

/// <summary>
/// Name → router factory with typed options: what recipes and <c>--router</c> name, and what
/// <c>switchyard routers</c> lists. Each method is a composition of a scorer, a selector and
/// balancers (docs/routing.md). Defaults follow shared/specs/baselines.md; Switchyard is
/// dropless unless a capacity factor is given.
/// </summary>
public static class RouterCatalog
{
    // The data's side-id names, id = index, declared before the entries that read them (Data.LabelSet.Roles and .Modalities; Routing cannot reference Data).
    static readonly string[] Roles = ["text", "prompt", "answer"], Modalities = ["text", "task"];

    static readonly RouterEntry[] s_entries =
    [
        TopK("top-k", "Softmax top-k over a linear gate (k, normalisation, capacity, jitter, noise, load-balance and z-loss are options).",
            "Outrageously Large Neural Networks: The Sparsely-Gated Mixture-of-Experts Layer", "1701.06538",
            new TopKRouterOptions()),
        TopK("switch", "Switch Transformer top-1: weight = gate probability, input jitter 0.01, load-balancing loss α = 0.01.",
            "Switch Transformers: Scaling to Trillion Parameter Models with Simple and Efficient Sparsity", "2101.03961",
            new TopKRouterOptions { K = 1, Normalize = false, Jitter = 0.01f, ZBeta = 0f }),
        TopK("gshard", "GShard top-2 with weights renormalised over the two, load-balancing loss α = 0.01 (Switch convention).",
            "GShard: Scaling Giant Models with Conditional Computation and Automatic Sharding", "2006.16668",
            new TopKRouterOptions { K = 2, Normalize = true, ZBeta = 0f }),
        TopK("mixtral", "Mixtral top-2 renormalised (softmax of the selected logits); HF aux loss α = 0.001 with f counted per token (Mixtral convention).",
            "Mixtral of Experts", "2401.04088",
            new TopKRouterOptions { K = 2, Normalize = true, AuxAlpha = 0.001f, AuxConvention = LoadBalanceConvention.Mixtral, ZBeta = 0f }),
        new RouterEntry<ExpertChoiceRouterOptions>("expert-choice",
            "Experts pick their top-C tokens (C = N·c/E): perfect balance, 0..E experts per token. NOT causal.",
            "Mixture-of-Experts with Expert Choice Routing", "2202.09368", isCausal: false, new ExpertChoiceRouterOptions(),
            d =>
            [
                new("capacity_factor", RouterOptionKind.Float, "c: each expert takes ceil(N·c/E) tokens", d, o => o.CapacityFactor, (o, v) => o with { CapacityFactor = (float)v }, min: 0, minExclusive: true),
                new("z_beta", RouterOptionKind.Float, "router z-loss coefficient (0 = off)", d, o => o.ZBeta, (o, v) => o with { ZBeta = (float)v }, min: 0),
            ],
            (s, o) => Compose(new LinearScorer(s.ModelDim, s.Experts, s.Rng), new ExpertChoiceSelector(o.CapacityFactor), null, o.ZBeta > 0 ? new RouterZLoss(o.ZBeta) : null)),
        new RouterEntry<SigmoidBiasRouterOptions>("sigmoid-bias",
            "DeepSeek-V3: sigmoid affinities, top-k of affinity + bias (bias only selects; auxiliary-loss-free updates), sequence-wise aux loss, optional group-limited routing.",
            "DeepSeek-V3 Technical Report", "2412.19437", isCausal: true, new SigmoidBiasRouterOptions(),
            d =>
            [
                new("k", RouterOptionKind.Int, "experts per token (≤ E)", d, o => o.K, (o, v) => o with { K = (int)v }, min: 1),
                new("normalize", RouterOptionKind.Bool, "normalise the selected affinities to sum to 1", d, o => o.Normalize, (o, v) => o with { Normalize = (bool)v }),
                new("scaling_factor", RouterOptionKind.Float, "routed_scaling_factor on the weights (DeepSeek-V3: 2.5)", d, o => o.ScalingFactor, (o, v) => o with { ScalingFactor = (float)v }, min: 0, minExclusive: true),
                new("gamma", RouterOptionKind.Float, "bias update rate γ per optimizer step (0 = off)", d, o => o.Gamma, (o, v) => o with { Gamma = (float)v }, min: 0),
                new("seq_alpha", RouterOptionKind.Float, "sequence-wise auxiliary loss coefficient (0 = off)", d, o => o.SeqAlpha, (o, v) => o with { SeqAlpha = (float)v }, min: 0),
                new("groups", RouterOptionKind.Int, "expert groups n_group for group-limited routing (1 = off; must divide E)", d, o => o.Groups, (o, v) => o with { Groups = (int)v }, min: 1),
                new("top_groups", RouterOptionKind.Int, "groups kept per token (topk_group)", d, o => o.TopGroups, (o, v) => o with { TopGroups = (int)v }, min: 1),
            ],
            (s, o) =>
            {
                var bias = new ExpertBias(s.Experts);
                var selector = new TopKSelector(o.K) { Normalize = o.Normalize, Scale = o.ScalingFactor, Bias = bias, Groups = o.Groups, TopGroups = o.TopGroups };
                return Compose(new LinearScorer(s.ModelDim, s.Experts, s.Rng, activation: GateActivation.Sigmoid), selector,
                    o.Gamma > 0 ? new BiasUpdateBalancer(bias, o.Gamma) : null, o.SeqAlpha > 0 ? new SequenceBalanceLoss(o.SeqAlpha) : null);
            },
            (s, o) => o.K > s.Experts ? ("k", $"= {o.K} must be ≤ the {s.Experts} experts")
                : o.Groups > 1 && s.Experts % o.Groups != 0 ? ("groups", $"= {o.Groups} must divide the {s.Experts} experts")
                : o.TopGroups > o.Groups ? ("top_groups", $"= {o.TopGroups} must be ≤ groups = {o.Groups}")
                : o.Groups > 1 && o.K > o.TopGroups * (s.Experts / o.Groups) ? ("k", $"= {o.K} must be ≤ top_groups·E/groups = {o.TopGroups * (s.Experts / o.Groups)}")
                : null),
        new RouterEntry<HashRouterOptions>("hash",
            "Hash Layers: the expert is a fixed function of the token id (seeded random hash, or frequency-balanced table); weight 1, nothing learned.",
            "Hash Layers For Large Sparse Models", "2106.04426", isCausal: true, new HashRouterOptions(),
            d =>
            [
                new("balanced", RouterOptionKind.Bool, "balanced assignment from corpus token counts instead of a random hash", d, o => o.Balanced, (o, v) => o with { Balanced = (bool)v }),
                new("seed", RouterOptionKind.Int, "seed of the random hash", d, o => o.Seed, (o, v) => o with { Seed = (int)v }),
            ],
            (s, o) => Compose(o.Balanced ? HashScorer.Balanced(s.Experts, s.TokenCounts.Span, (ulong)o.Seed) : new HashScorer(s.Experts, (ulong)o.Seed),
                new TopKSelector(1) { ConstantWeights = true }, null, null),
            (s, o) => o.Balanced && s.TokenCounts.Length == 0 ? ("balanced", "needs token counts from the training corpus (RouterSetup.TokenCounts)") : null),
        new RouterEntry<TopPRouterOptions>("top-p",
            "Dynamic top-p: each token takes the fewest top experts whose probability reaches p (weights = raw probabilities), router-entropy loss β and load-balance α.",
            "Harder Tasks Need More Experts: Dynamic Routing in MoE Models", "2403.07652", isCausal: true, new TopPRouterOptions(),
            d =>
            [
                new("p", RouterOptionKind.Float, "probability-mass threshold", d, o => o.P, (o, v) => o with { P = (float)v }, min: 0, max: 1, minExclusive: true),
                new("max_k", RouterOptionKind.Int, "most experts per token (0 = E)", d, o => o.MaxK, (o, v) => o with { MaxK = (int)v }, min: 0),
                new("entropy_beta", RouterOptionKind.Float, "router-entropy (dynamic) loss coefficient β (0 = off)", d, o => o.EntropyBeta, (o, v) => o with { EntropyBeta = (float)v }, min: 0),
                new("aux_alpha", RouterOptionKind.Float, "load-balancing loss coefficient α (0 = off)", d, o => o.AuxAlpha, (o, v) => o with { AuxAlpha = (float)v }, min: 0),
            ],
            (s, o) => Compose(new LinearScorer(s.ModelDim, s.Experts, s.Rng), new TopPSelector(o.P, o.MaxK),
                o.AuxAlpha > 0 ? new LoadBalancingLoss(o.AuxAlpha) : null, o.EntropyBeta > 0 ? new EntropyLoss(o.EntropyBeta) : null),
            (s, o) => o.MaxK > s.Experts ? ("max_k", $"= {o.MaxK} must be ≤ the {s.Experts} experts") : null),
        new RouterEntry<AdaMoeRouterOptions>("adamoe",
            "AdaMoE: E true + N null experts (output 0, never dispatched), top-k over all; weights renormalised over the true ones; load-balance over all E+N slots.",
            "AdaMoE: Token-Adaptive Routing with Null Experts for Mixture-of-Experts Language Models", "2406.13233", isCausal: true, new AdaMoeRouterOptions(),
            d =>
            [
                new("null_experts", RouterOptionKind.Int, "null experts N", d, o => o.NullExperts, (o, v) => o with { NullExperts = (int)v }, min: 1),
                new("k", RouterOptionKind.Int, "slots per token k' over true + null experts (≤ E+N)", d, o => o.K, (o, v) => o with { K = (int)v }, min: 1),
                new("aux_alpha", RouterOptionKind.Float, "load-balancing loss coefficient over all E+N slots (0 = off)", d, o => o.AuxAlpha, (o, v) => o with { AuxAlpha = (float)v }, min: 0),
                new("aux_convention", RouterOptionKind.Choice, "f normalisation: switch (Σf = 1) or mixtral (Σf = k')", d, o => o.AuxConvention == LoadBalanceConvention.Mixtral ? "mixtral" : "switch",
                    (o, v) => o with { AuxConvention = (string)v == "mixtral" ? LoadBalanceConvention.Mixtral : LoadBalanceConvention.Switch }, choices: ["switch", "mixtral"]),
            ],
            // One gate of E+N rows = the reference's concatenated [W_g, W_null] when trained from scratch.
            (s, o) => new Router(new LinearScorer(s.ModelDim, s.Experts + o.NullExperts, s.Rng), new TopKSelector(o.K) { Normalize = true },
                o.AuxAlpha > 0 ? [new LoadBalancingLoss(o.AuxAlpha, o.AuxConvention)] : []) { NullExperts = o.NullExperts },
            (s, o) => o.K > s.Experts + o.NullExperts ? ("k", $"= {o.K} must be ≤ the {s.Experts} true + {o.NullExperts} null experts") : null),
        new RouterEntry<SmoeDropoutRouterOptions>("smoe-dropout",
            "SMoE-Dropout: a frozen random linear router (never trained); top-k with k growing linearly from k_min to k_max over training, weights renormalised over the selected; no balance loss.",
            "Sparse MoE as the New Dropout: Scaling Dense and Self-Slimmable Transformers", "2303.01610", isCausal: true, new SmoeDropoutRouterOptions(),
            d =>
            [
                new("k_min", RouterOptionKind.Int, "k at the start (0 = E/2)", d, o => o.KMin, (o, v) => o with { KMin = (int)v }, min: 0),
                new("k_max", RouterOptionKind.Int, "k at the end of the ramp (0 = E)", d, o => o.KMax, (o, v) => o with { KMax = (int)v }, min: 0),
                new("schedule_steps", RouterOptionKind.Int, "steps of the linear ramp (0 = the whole run)", d, o => o.ScheduleSteps, (o, v) => o with { ScheduleSteps = (int)v }, min: 0),
                new("eval_k", RouterOptionKind.Int, "k when evaluating, self-slimming (0 = the schedule's current k)", d, o => o.EvalK, (o, v) => o with { EvalK = (int)v }, min: 0),
            ],
            (s, o) =>
            {
                // nn.Linear's U(±1/√d) has variance 1/(3d): the same spread, drawn normal; frozen, so no optimizer or decay touches it.
                var scorer = new LinearScorer(s.ModelDim, s.Experts, s.Rng, initStd: 1f / MathF.Sqrt(3f * s.ModelDim));
                scorer.Weight.Trainable = false;
                var (kMin, kMax) = SmoeK(s, o);
                return new Router(scorer, new ScheduledTopKSelector(new LinearIntSchedule(kMin, kMax, o.ScheduleSteps), normalize: true, evalK: o.EvalK));
            },
            (s, o) =>
            {
                var (kMin, kMax) = SmoeK(s, o);
                return kMax > s.Experts ? ("k_max", $"= {kMax} must be ≤ the {s.Experts} experts")
                    : kMin > kMax ? ("k_min", $"= {kMin} must be ≤ k_max = {kMax}")
                    : o.EvalK > s.Experts ? ("eval_k", $"= {o.EvalK} must be ≤ the {s.Experts} experts")
                    : null;
            }),
        new RouterEntry<RmoeRouterOptions>("rmoe",
            "RMoE: a GRU router state carried from layer to layer per token (h_l = GRU(proj(x_l), h_l-1), logits = h_l·W), softmax top-k, load-balance loss.",
            "Layerwise Recurrent Router for Mixture-of-Experts", "2408.06793", isCausal: true, new RmoeRouterOptions(),
            d =>
            [
                new("k", RouterOptionKind.Int, "experts per token (≤ E)", d, o => o.K, (o, v) => o with { K = (int)v }, min: 1),
                new("hidden", RouterOptionKind.Int, "recurrent size p of the GRU state", d, o => o.Hidden, (o, v) => o with { Hidden = (int)v }, min: 1),
                new("normalize", RouterOptionKind.Bool, "renormalise the selected probabilities to sum to 1", d, o => o.Normalize, (o, v) => o with { Normalize = (bool)v }),
                new("aux_alpha", RouterOptionKind.Float, "load-balancing loss coefficient (0 = off)", d, o => o.AuxAlpha, (o, v) => o with { AuxAlpha = (float)v }, min: 0),
                new("aux_convention", RouterOptionKind.Choice, "f normalisation: switch (Σf = 1) or mixtral (Σf = k)", d, o => o.AuxConvention == LoadBalanceConvention.Mixtral ? "mixtral" : "switch",
                    (o, v) => o with { AuxConvention = (string)v == "mixtral" ? LoadBalanceConvention.Mixtral : LoadBalanceConvention.Switch }, choices: ["switch", "mixtral"]),
            ],
            (s, o) => Compose(new RecurrentScorer(s.ModelDim, s.Experts, o.Hidden, s.Rng), new TopKSelector(o.K) { Normalize = o.Normalize },
                o.AuxAlpha > 0 ? new LoadBalancingLoss(o.AuxAlpha, o.AuxConvention) : null, null),
            (s, o) => o.K > s.Experts ? ("k", $"= {o.K} must be ≤ the {s.Experts} experts") : null),
        new RouterEntry<ThorRouterOptions>("thor",
            "THOR: no learned router; each layer picks a uniformly random expert (per batch in training, per token at inference), weight 1. Train with the recipe's consistency loss (two passes, symmetric KL).",
            "Taming Sparsely Activated Transformer with Stochastic Experts", "2110.04260", isCausal: true, new ThorRouterOptions(),
            d =>
            [
                new("granularity", RouterOptionKind.Choice, "what one random draw covers while training", d, o => Granularity(o.Granularity),
                    (o, v) => o with { Granularity = Granularity((string)v) }, choices: ["batch", "sequence", "token"]),
                new("eval_granularity", RouterOptionKind.Choice, "what one random draw covers when evaluating (reference inference_level 0 = token, 1 = sequence)", d,
                    o => Granularity(o.EvalGranularity), (o, v) => o with { EvalGranularity = Granularity((string)v) }, choices: ["batch", "sequence", "token"]),
            ],
            (s, o) => new Router(new UniformScorer(s.Experts), new RandomSelector(o.Granularity, o.EvalGranularity))),
        new RouterEntry<RomaRouterOptions>("roma",
            "RoMA: the Mixtral top-k router plus a routing-manifold term pulling each task sample's pooled routing towards its k nearest successful references (bag-of-tokens cosine); for router-only post-training, references refreshed by the training procedure.",
            "Routing Manifold Alignment Improves Generalization of Mixture-of-Experts LLMs", "2511.07419", isCausal: true, new RomaRouterOptions(),
            d =>
            [
                new("k", RouterOptionKind.Int, "experts per token (≤ E)", d, o => o.K, (o, v) => o with { K = (int)v }, min: 1),
                new("lambda", RouterOptionKind.Float, "coefficient λ of the manifold term (0 = off)", d, o => o.Lambda, (o, v) => o with { Lambda = (float)v }, min: 0),
                new("neighbours", RouterOptionKind.Int, "nearest successful references per sample", d, o => o.Neighbours, (o, v) => o with { Neighbours = (int)v }, min: 1),
                new("embedding_width", RouterOptionKind.Int, "bag-of-tokens embedding width (token t → bucket t mod width)", d, o => o.EmbeddingWidth, (o, v) => o with { EmbeddingWidth = (int)v }, min: 1),
                new("last_token", RouterOptionKind.Bool, "pool routing at the last prompt token instead of the mean over the sample", d, o => o.LastToken, (o, v) => o with { LastToken = (bool)v }),
                new("aux_alpha", RouterOptionKind.Float, "load-balancing loss coefficient (mixtral convention; 0 = off)", d, o => o.AuxAlpha, (o, v) => o with { AuxAlpha = (float)v }, min: 0),
            ],
            (s, o) => Compose(new LinearScorer(s.ModelDim, s.Experts, s.Rng), new TopKSelector(o.K) { Normalize = true },
                o.AuxAlpha > 0 ? new LoadBalancingLoss(o.AuxAlpha, LoadBalanceConvention.Mixtral) : null,
                new ManifoldAlignmentLoss(o.Lambda, o.Neighbours, o.EmbeddingWidth, o.LastToken)),
            (s, o) => o.K > s.Experts ? ("k", $"= {o.K} must be ≤ the {s.Experts} experts") : null),
        new RouterEntry<ProMoeRouterOptions>("promoe",
            "ProMoE for LMs: tokens of one role (default: task prompts) hard-routed to dedicated experts; the rest top-k by cosine to learned prototypes / τ, weights renormalised; routing contrastive loss (InfoNCE over prototypes) + Switch aux over the routed tokens.",
            "Routing Matters in MoE: Scaling Diffusion Transformers with Explicit Routing Guidance", "2510.24711", isCausal: true, new ProMoeRouterOptions(),
            d =>
            [
                new("k", RouterOptionKind.Int, "experts per routed token (≤ routed experts)", d, o => o.K, (o, v) => o with { K = (int)v }, min: 1),
                new("tau", RouterOptionKind.Float, "temperature τ of the cosine scores and the RCL", d, o => o.Tau, (o, v) => o with { Tau = (float)v }, min: 0, max: 10, minExclusive: true),
                new("rcl_alpha", RouterOptionKind.Float, "routing contrastive loss coefficient (0 = off)", d, o => o.RclAlpha, (o, v) => o with { RclAlpha = (float)v }, min: 0),
                new("aux_alpha", RouterOptionKind.Float, "Switch load-balancing coefficient over the routed tokens (0 = off)", d, o => o.AuxAlpha, (o, v) => o with { AuxAlpha = (float)v }, min: 0),
                new("hard_role", RouterOptionKind.Choice, "token role hard-routed to the dedicated experts (none = no split)", d, o => o.HardRole, (o, v) => o with { HardRole = (string)v }, choices: ["none", .. Roles]),
                new("role_experts", RouterOptionKind.Int, "experts dedicated to the hard role (the last ones; ignored with hard_role=none)", d, o => o.RoleExperts, (o, v) => o with { RoleExperts = (int)v }, min: 1),
                new("ids", RouterOptionKind.Choice, "read a position's role from its input token or its target", d, o => IdsName(o.Ids), (o, v) => o with { Ids = Ids((string)v) }, choices: ["input", "target"]),
            ],
            (s, o) =>
            {
                int role = Array.IndexOf(Roles, o.HardRole);
                var pools = new Pools.RoleSplitPools(s.Experts, role < 0 ? 0 : o.RoleExperts, role, o.HardRole, o.Ids);
                int[] excluded = [Pools.RoleSplitPools.HardRouted];
                return Compose(new PrototypeCosineScorer(s.ModelDim, s.Experts, o.Tau, s.Rng) { Pools = pools }, new MaskedTopKSelector(o.K, pools),
                    o.AuxAlpha > 0 ? new GroupedSwitchAux(o.AuxAlpha, pools) { Excluded = excluded } : null,
                    o.RclAlpha > 0 ? new RoutingContrastiveLoss(o.RclAlpha, pools) { Excluded = excluded } : null);
            },
            (s, o) =>
            {
                int routed = s.Experts - (o.HardRole == "none" ? 0 : o.RoleExperts);
                return routed < 1 ? ("role_experts", $"= {o.RoleExperts} leaves none of the {s.Experts} experts to route")
                    : o.K > routed ? ("k", $"= {o.K} must be ≤ the {routed} routed experts")
                    : null;
            }),
        new RouterEntry<MoiieRouterOptions>("moiie",
            "MoIIE: a token of modality m routes among Intra[m] ∪ Inter (other experts masked before the softmax) with its modality's own linear gate; top-k renormalised; Switch balance per modality pool.",
            "MoIIE: Mixture of Intra- and Inter-Modality Experts for Large Vision Language Models", "2508.09779", isCausal: true, new MoiieRouterOptions(),
            d =>
            [
                new("k", RouterOptionKind.Int, "experts per token (≤ the smallest candidate set)", d, o => o.K, (o, v) => o with { K = (int)v }, min: 1),
                new("text_experts", RouterOptionKind.Int, "intra-modality experts of natural text (the first ones)", d, o => o.TextExperts, (o, v) => o with { TextExperts = (int)v }, min: 0),
                new("task_experts", RouterOptionKind.Int, "intra-modality experts of the synthetic tasks (next; the rest are shared)", d, o => o.TaskExperts, (o, v) => o with { TaskExperts = (int)v }, min: 0),
                new("aux_alpha", RouterOptionKind.Float, "load-balancing coefficient per modality pool (0 = off)", d, o => o.AuxAlpha, (o, v) => o with { AuxAlpha = (float)v }, min: 0),
                new("aux_convention", RouterOptionKind.Choice, "f normalisation: switch (Σf = 1) or mixtral (Σf = k), per pool", d, o => o.AuxConvention == LoadBalanceConvention.Mixtral ? "mixtral" : "switch",
                    (o, v) => o with { AuxConvention = (string)v == "mixtral" ? LoadBalanceConvention.Mixtral : LoadBalanceConvention.Switch }, choices: ["switch", "mixtral"]),
                new("unlabelled", RouterOptionKind.Choice, "modality of tokens without a modality id (inference, padding)", d, o => o.Unlabelled, (o, v) => o with { Unlabelled = (string)v }, choices: Modalities),
                new("ids", RouterOptionKind.Choice, "read a position's modality from its input token or its target", d, o => IdsName(o.Ids), (o, v) => o with { Ids = Ids((string)v) }, choices: ["input", "target"]),
            ],
            (s, o) =>
            {
                var pools = new Pools.ModalityPools(Modalities, [o.TextExperts, o.TaskExperts], s.Experts - o.TextExperts - o.TaskExperts,
                    Array.IndexOf(Modalities, o.Unlabelled), o.Ids);
                return Compose(new ModalityLinearScorer(s.ModelDim, pools, s.Rng), new MaskedTopKSelector(o.K, pools),
                    o.AuxAlpha > 0 ? new GroupedSwitchAux(o.AuxAlpha, pools, o.AuxConvention) : null, null);
            },
            (s, o) =>
            {
                int shared = s.Experts - o.TextExperts - o.TaskExperts, smallest = Math.Min(o.TextExperts, o.TaskExperts) + shared;
                return shared < 0 ? ("task_experts", $"= {o.TaskExperts} with text_experts = {o.TextExperts} exceeds the {s.Experts} experts")
                    : smallest < 1 ? ("text_experts", $"leaves a modality with no expert: give it intra experts or leave shared ones (E − text − task > 0)")
                    : o.K > smallest ? ("k", $"= {o.K} must be ≤ {smallest}, the smallest candidate set (intra + {shared} shared)")
                    : null;
            }),
        new RouterEntry<MofmeRouterOptions>("mofme",
            "MoFME's uncertainty-aware router as MC dropout: a linear gate on M dropped-out copies of the input (training 1, evaluation M, deterministic for a seed), mean softmax, top-k, load-balance. Pair with the 'film' block (FiLM experts on a shared trunk). UaR internals not verified.",
            "Efficient Deweather Mixture-of-Experts with Uncertainty-aware Feature-wise Linear Modulation", "2312.16610", isCausal: true, new MofmeRouterOptions(),
            d =>
            [
                new("k", RouterOptionKind.Int, "experts per token (≤ E)", d, o => o.K, (o, v) => o with { K = (int)v }, min: 1),
                new("normalize", RouterOptionKind.Bool, "renormalise the selected probabilities to sum to 1", d, o => o.Normalize, (o, v) => o with { Normalize = (bool)v }),
                new("dropout", RouterOptionKind.Float, "dropout probability p on the router input", d, o => o.Dropout, (o, v) => o with { Dropout = (float)v }, min: 0, max: 0.9),
                new("samples", RouterOptionKind.Int, "MC samples M averaged when evaluating", d, o => o.Samples, (o, v) => o with { Samples = (int)v }, min: 1),
                new("train_samples", RouterOptionKind.Int, "MC samples averaged while training (spec: 1)", d, o => o.TrainSamples, (o, v) => o with { TrainSamples = (int)v }, min: 1),
                new("aux_alpha", RouterOptionKind.Float, "load-balancing loss coefficient α (0 = off)", d, o => o.AuxAlpha, (o, v) => o with { AuxAlpha = (float)v }, min: 0),
                new("aux_convention", RouterOptionKind.Choice, "f normalisation: switch (Σf = 1) or mixtral (Σf = k)", d, o => o.AuxConvention == LoadBalanceConvention.Mixtral ? "mixtral" : "switch",
                    (o, v) => o with { AuxConvention = (string)v == "mixtral" ? LoadBalanceConvention.Mixtral : LoadBalanceConvention.Switch }, choices: ["switch", "mixtral"]),
                new("seed", RouterOptionKind.Int, "seed of the evaluation masks", d, o => o.Seed, (o, v) => o with { Seed = (int)v }),
            ],
            (s, o) => Compose(new McDropoutScorer(new LinearScorer(s.ModelDim, s.Experts, s.Rng), o.Dropout, o.Samples, o.TrainSamples, (ulong)o.Seed),
                new TopKSelector(o.K) { Normalize = o.Normalize }, o.AuxAlpha > 0 ? new LoadBalancingLoss(o.AuxAlpha, o.AuxConvention) : null, null),
            (s, o) => o.K > s.Experts ? ("k", $"= {o.K} must be ≤ the {s.Experts} experts") : null),
        new RouterEntry<NoisyMlpRouterOptions>("noisy-mlp",
            "T2MIR's token-wise gate: MLP logits W2·tanh(W1·x), noisy top-k in training (learned softplus noise std + 0.01), softmax over the top k; CV² balance loss on importance and smooth load.",
            "Mixture-of-Experts Meets In-Context Reinforcement Learning", "2506.05426", isCausal: true, new NoisyMlpRouterOptions(),
            d =>
            [
                new("k", RouterOptionKind.Int, "experts per token (≤ E)", d, o => o.K, (o, v) => o with { K = (int)v }, min: 1),
                new("noisy", RouterOptionKind.Bool, "noisy top-k gating in training", d, o => o.Noisy, (o, v) => o with { Noisy = (bool)v }),
                new("noise_epsilon", RouterOptionKind.Float, "constant added to the learned noise std", d, o => o.NoiseEpsilon, (o, v) => o with { NoiseEpsilon = (float)v }, min: 0),
                new("cv_alpha", RouterOptionKind.Float, "CV² balance loss coefficient on importance and load (0 = off)", d, o => o.CvAlpha, (o, v) => o with { CvAlpha = (float)v }, min: 0),
            ],
            (s, o) =>
            {
                var scorer = new MlpScorer(s.ModelDim, s.Experts, s.Rng, o.Noisy, o.NoiseEpsilon);
                return Compose(scorer, new TopKSelector(o.K) { Normalize = true }, o.CvAlpha > 0 ? new CvSquaredLoss(o.CvAlpha, scorer) : null, null);
            },
            (s, o) => o.K > s.Experts ? ("k", $"= {o.K} must be ≤ the {s.Experts} experts") : null),
        new RouterEntry<LanguageFamilyRouterOptions>("language-family",
            "ApolloMoE hybrid routing: softmax top-k of a linear gate; in training the token's language (or family) expert, id mod E, replaces the k-th choice when absent; weights = raw probabilities. Inference: the router alone.",
            "Efficiently Democratizing Medical LLMs for 50 Languages via a Mixture of Language Family Experts", "2410.10626", isCausal: true,
            new LanguageFamilyRouterOptions(),
            d =>
            [
                new("k", RouterOptionKind.Int, "experts per token (≤ E)", d, o => o.K, (o, v) => o with { K = (int)v }, min: 1),
                new("group", RouterOptionKind.Choice, "what an expert is tied to: family (RoutingContext.LanguageFamilyIds) or language (LanguageIds); expert = id mod E", d,
                    o => o.Group == LanguageGroup.Language ? "language" : "family",
                    (o, v) => o with { Group = (string)v == "language" ? LanguageGroup.Language : LanguageGroup.Family }, choices: ["family", "language"]),
                new("normalize", RouterOptionKind.Bool, "renormalise the chosen probabilities (reference norm_topk_prob = false)", d, o => o.Normalize, (o, v) => o with { Normalize = (bool)v }),
                new("aux_alpha", RouterOptionKind.Float, "load-balancing loss coefficient α (reference 0 = off)", d, o => o.AuxAlpha, (o, v) => o with { AuxAlpha = (float)v }, min: 0),
            ],
            (s, o) => Compose(new LinearScorer(s.ModelDim, s.Experts, s.Rng), new HybridSelector(o.K, o.Group) { Normalize = o.Normalize },
                o.AuxAlpha > 0 ? new LoadBalancingLoss(o.AuxAlpha) : null, null),
            (s, o) => o.K > s.Experts ? ("k", $"= {o.K} must be ≤ the {s.Experts} experts") : null),
        new RouterEntry<DuoRandomRouterOptions>("duo-random",
            "Duo-LLM stage 1: each token draws big / small / skip at random in every layer (uniform, or a fixed big fraction), weight 1; no parameters. Use with the duo block.",
            "Duo-LLM: A Framework for Studying Adaptive Computation in Large Language Models", "2410.10846", isCausal: true, new DuoRandomRouterOptions(),
            d =>
            [
                new("big_fraction", RouterOptionKind.Float, "probability of the big module (slot 0); the other slots share the rest; 0 = uniform", d, o => o.BigFraction,
                    (o, v) => o with { BigFraction = (float)v }, min: 0, max: 1),
            ],
            (s, o) => DuoSlots.Random(s, o)),
        new RouterEntry<DuoRouterOptions>("duo-router",
            "Duo-LLM stage 3: per-layer linear router, hard top-1 over big / small / skip with straight-through gates (weight 1), budget penalty λ·(E[cost] − budget) with dual ascent on λ. Use with the duo block.",
            "Duo-LLM: A Framework for Studying Adaptive Computation in Large Language Models", "2410.10846", isCausal: true, new DuoRouterOptions(),
            d =>
            [
                new("budget", RouterOptionKind.Float, "target mean cost per token and layer (slot costs: big 1, small its FLOPs ratio, skip 0, or the duo block's costs)", d, o => o.Budget,
                    (o, v) => o with { Budget = (float)v }, min: 0),
                new("lambda", RouterOptionKind.Float, "initial penalty coefficient λ", d, o => o.Lambda, (o, v) => o with { Lambda = (float)v }, min: 0),
                new("lambda_rate", RouterOptionKind.Float, "dual-ascent rate of λ per optimizer step, λ += rate·(realized cost − budget), λ may turn negative (0 = fixed λ)", d, o => o.LambdaRate,
                    (o, v) => o with { LambdaRate = (float)v }, min: 0),
            ],
            (s, o) => DuoSlots.Trained(s, o),
            (s, o) => DuoSlots.CheckCosts(s, o)),
        new RouterEntry<DynamicDinoRouterOptions>("dynamic-dino",
            "Dynamic-DINO MoE-tuning: softmax top-k over a linear gate, weights renormalised over the k and scaled by gate_scale (0 = k), so k equal gates weigh 1 each (the router a dense FFN is MoE-fied into: init conversion 'moefy'); load-balance loss.",
            "Dynamic-DINO: Fine-Grained Mixture of Experts Tuning for Real-time Open-Vocabulary Object Detection", "2507.17436", isCausal: true, new DynamicDinoRouterOptions(),
            d =>
            [
                new("k", RouterOptionKind.Int, "experts per token (= granularity g of the MoE-fied FFN; ≤ E)", d, o => o.K, (o, v) => o with { K = (int)v }, min: 1),
                new("gate_scale", RouterOptionKind.Float, "multiplier on the renormalised weights (0 = k: k equal gates weigh 1 each)", d, o => o.GateScale, (o, v) => o with { GateScale = (float)v }, min: 0),
                new("aux_alpha", RouterOptionKind.Float, "load-balancing loss coefficient α (0 = off)", d, o => o.AuxAlpha, (o, v) => o with { AuxAlpha = (float)v }, min: 0),
                new("aux_convention", RouterOptionKind.Choice, "f normalisation: switch (Σf = 1) or mixtral (Σf = k)", d, o => o.AuxConvention == LoadBalanceConvention.Mixtral ? "mixtral" : "switch",
                    (o, v) => o with { AuxConvention = (string)v == "mixtral" ? LoadBalanceConvention.Mixtral : LoadBalanceConvention.Switch }, choices: ["switch", "mixtral"]),
            ],
            (s, o) => Compose(new LinearScorer(s.ModelDim, s.Experts, s.Rng), new TopKSelector(o.K) { Normalize = true, Scale = o.EffectiveScale },
                o.AuxAlpha > 0 ? new LoadBalancingLoss(o.AuxAlpha, o.AuxConvention) : null, null),
            (s, o) => o.K > s.Experts ? ("k", $"= {o.K} must be ≤ the {s.Experts} experts") : null),
        new RouterEntry<ReadMeRouterOptions>("read-me",
            "Read-ME pre-gating router: a tiny causal model over the token ids only (window of ids → embedding → hidden → logits), top-1, weight = probability; its scores are published so the read-me block's later layers reuse them (one route for all layers, known before the backbone runs).",
            "Read-ME: Refactorizing LLMs as Router-Decoupled Mixture of Experts with System Co-Design", "2410.19123", isCausal: true, new ReadMeRouterOptions(),
            d =>
            [
                new("vocab", RouterOptionKind.Int, "rows of the id embedding (ids are taken modulo)", d, o => o.Vocab, (o, v) => o with { Vocab = (int)v }, min: 1),
                new("window", RouterOptionKind.Int, "tokens the router sees (the current one and window − 1 before it)", d, o => o.Window, (o, v) => o with { Window = (int)v }, min: 1),
                new("width", RouterOptionKind.Int, "embedding width", d, o => o.Width, (o, v) => o with { Width = (int)v }, min: 1),
                new("hidden", RouterOptionKind.Int, "hidden width of the router's one hidden layer", d, o => o.Hidden, (o, v) => o with { Hidden = (int)v }, min: 1),
                new("aux_alpha", RouterOptionKind.Float, "load-balancing loss coefficient α (0 = off)", d, o => o.AuxAlpha, (o, v) => o with { AuxAlpha = (float)v }, min: 0),
            ],
            (s, o) => Compose(new PreGateScorer(o.Vocab, s.Experts, o.Window, o.Width, o.Hidden, s.Rng), new TopKSelector(1),
                o.AuxAlpha > 0 ? new LoadBalancingLoss(o.AuxAlpha) : null, null)),
        Graph("similarity-moe", TokenGraph.Similarity,
            "Similarity-Aware SMoE: gates mixed over a learned causal token-similarity graph, P̃ = softmax_j≤i(Z·Zᵀ/τ)·softmax(X·W_g), Z = X·W_s; top-k of P̃, load-balance on P̃."),
        Graph("attention-moe", TokenGraph.Attention,
            "Attention-Aware SMoE: gates mixed over the preceding attention block's causal attention probabilities (head mean), P̃ = A·softmax(X·W_g); top-k of P̃, load-balance on P̃."),
    ];

    static string IdsName(SideIdSource s) => s == SideIdSource.Target ? "target" : "input";

    static SideIdSource Ids(string s) => s == "target" ? SideIdSource.Target : SideIdSource.Input;

    static string Granularity(RandomGranularity g) => g switch { RandomGranularity.Token => "token", RandomGranularity.Sequence => "sequence", _ => "batch" };

    static RandomGranularity Granularity(string s) => s switch { "token" => RandomGranularity.Token, "sequence" => RandomGranularity.Sequence, _ => RandomGranularity.Batch };

    static (int KMin, int KMax) SmoeK(RouterSetup s, SmoeDropoutRouterOptions o) =>
        (o.KMin > 0 ? o.KMin : Math.Max(1, s.Experts / 2), o.KMax > 0 ? o.KMax : s.Experts);

    /// <summary>Every catalog router, in listing order.</summary>
    public static IReadOnlyList<RouterEntry> Entries => s_entries;

    /// <summary>The catalog names.</summary>
    public static IEnumerable<string> Names => s_entries.Select(e => e.Name);

    /// <summary>The entry named <paramref name="name"/>.</summary>
    /// <exception cref="UnknownRouterException">No such router; the message lists the known ones.</exception>
    public static RouterEntry Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (RouterEntry e in s_entries) if (e.Name == name) return e;
        throw new UnknownRouterException(name, Names);
    }

    /// <summary>Builds router <paramref name="name"/> with typed options (null = defaults).</summary>
    /// <exception cref="UnknownRouterException">No such router.</exception>
    /// <exception cref="InvalidRouterOptionException">An option is out of range for this layer.</exception>
    public static Router Create(string name, RouterSetup setup, object? options = null) => Get(name).Create(setup, options);

    /// <summary>Builds router <paramref name="name"/> with options from a JSON object.</summary>
    /// <exception cref="UnknownRouterException">No such router.</exception>
    /// <exception cref="InvalidRouterOptionException">Unknown key, wrong type or out of range.</exception>
    public static Router Create(string name, RouterSetup setup, JsonElement options)
    {
        RouterEntry e = Get(name);
        return e.Create(setup, e.ParseOptions(options));
    }

    /// <summary>Builds router <paramref name="name"/> with options from <c>key=value</c> strings.</summary>
    /// <exception cref="UnknownRouterException">No such router.</exception>
    /// <exception cref="InvalidRouterOptionException">Malformed, unknown, wrong type or out of range.</exception>
    public static Router Create(string name, RouterSetup setup, IEnumerable<string> options)
    {
        RouterEntry e = Get(name);
        return e.Create(setup, e.ParseOptions(options));
    }

    /// <summary>
    /// Writes the catalog as JSON (what <c>switchyard routers --json</c> prints): an array of
    /// <c>{name, description, paper, arxiv, causal, options: [{name, type, range, default, choices, description}]}</c>.
    /// </summary>
    public static void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartArray();
        foreach (RouterEntry e in s_entries)
        {
            writer.WriteStartObject();
            writer.WriteString("name", e.Name);
            writer.WriteString("description", e.Description);
            writer.WriteString("paper", e.Paper);
            writer.WriteString("arxiv", e.ArXiv);
            writer.WriteBoolean("causal", e.IsCausal);
            writer.WriteStartArray("options");
            foreach (RouterOption o in e.Options)
            {
                writer.WriteStartObject();
                writer.WriteString("name", o.Name);
                writer.WriteString("type", o.Kind.ToString().ToLowerInvariant());
                writer.WriteString("range", o.TypeText);
                writer.WriteString("default", o.DefaultText);
                if (o.Kind == RouterOptionKind.Choice)
                {
                    writer.WriteStartArray("choices");
                    foreach (string c in o.Choices) writer.WriteStringValue(c);
                    writer.WriteEndArray();
                }
                writer.WriteString("description", o.Description);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }

    static RouterEntry<TopKRouterOptions> TopK(string name, string description, string paper, string arxiv, TopKRouterOptions defaults) =>
        new(name, description, paper, arxiv, isCausal: true, defaults,
            d =>
            [
                new("k", RouterOptionKind.Int, "experts per token (≤ E)", d, o => o.K, (o, v) => o with { K = (int)v }, min: 1),
                new("normalize", RouterOptionKind.Bool, "renormalise the selected probabilities to sum to 1 (HF norm_topk_prob)", d, o => o.Normalize, (o, v) => o with { Normalize = (bool)v }),
                new("capacity_factor", RouterOptionKind.Float, "C = ceil(factor·k·N/E) tokens per expert; 0 = dropless", d, o => o.CapacityFactor, (o, v) => o with { CapacityFactor = (float)v }, min: 0),
                new("drop_policy", RouterOptionKind.Choice, "which assignments an over-capacity expert keeps", d, o => o.DropPolicy == DropPolicy.Score ? "score" : "position",
                    (o, v) => o with { DropPolicy = (string)v == "score" ? DropPolicy.Score : DropPolicy.Position }, choices: ["position", "score"]),
                new("renormalize_after_drop", RouterOptionKind.Bool, "renormalise a token's kept weights after a drop", d, o => o.RenormalizeAfterDrop, (o, v) => o with { RenormalizeAfterDrop = (bool)v }),
                new("jitter", RouterOptionKind.Float, "multiply the router input by U(1-ε, 1+ε) in training (0 = off)", d, o => o.Jitter, (o, v) => o with { Jitter = (float)v }, min: 0, max: 0.5),
                new("noisy", RouterOptionKind.Bool, "noisy top-k gating: h += N(0,1)·softplus(x·W_noise) in training", d, o => o.Noisy, (o, v) => o with { Noisy = (bool)v }),
                new("aux_alpha", RouterOptionKind.Float, "load-balancing loss coefficient α (0 = off)", d, o => o.AuxAlpha, (o, v) => o with { AuxAlpha = (float)v }, min: 0),
                new("aux_convention", RouterOptionKind.Choice, "f normalisation: switch (Σf = 1) or mixtral (Σf = k)", d, o => o.AuxConvention == LoadBalanceConvention.Mixtral ? "mixtral" : "switch",
                    (o, v) => o with { AuxConvention = (string)v == "mixtral" ? LoadBalanceConvention.Mixtral : LoadBalanceConvention.Switch }, choices: ["switch", "mixtral"]),
                new("z_beta", RouterOptionKind.Float, "router z-loss coefficient β (0 = off)", d, o => o.ZBeta, (o, v) => o with { ZBeta = (float)v }, min: 0),
            ],
            (s, o) =>
            {
                var selector = new TopKSelector(o.K)
                {
                    Normalize = o.Normalize, CapacityFactor = o.CapacityFactor, DropPolicy = o.DropPolicy, RenormalizeAfterDrop = o.RenormalizeAfterDrop,
                };
                return Compose(new LinearScorer(s.ModelDim, s.Experts, s.Rng, jitter: o.Jitter, noisy: o.Noisy), selector,
                    o.AuxAlpha > 0 ? new LoadBalancingLoss(o.AuxAlpha, o.AuxConvention) : null, o.ZBeta > 0 ? new RouterZLoss(o.ZBeta) : null);
            },
            (s, o) => o.K > s.Experts ? ("k", $"= {o.K} must be ≤ the {s.Experts} experts") : null);

    static RouterEntry<GraphMoeRouterOptions> Graph(string name, TokenGraph graph, string description) =>
        new(name, description, "Improving Routing in Sparse Mixture of Experts with Graph of Tokens", "2505.00792", isCausal: true, new GraphMoeRouterOptions(),
            d =>
            [
                new("k", RouterOptionKind.Int, "experts per token (≤ E)", d, o => o.K, (o, v) => o with { K = (int)v }, min: 1),
                new("normalize", RouterOptionKind.Bool, "renormalise the selected P̃ values to sum to 1", d, o => o.Normalize, (o, v) => o with { Normalize = (bool)v }),
                .. graph == TokenGraph.Similarity
                    ? new RouterOption<GraphMoeRouterOptions>[]
                    {
                        new("proj_dim", RouterOptionKind.Int, "similarity projection width d_s", d, o => o.ProjDim, (o, v) => o with { ProjDim = (int)v }, min: 1),
                        new("tau", RouterOptionKind.Float, "similarity softmax temperature τ (0 = √d_s)", d, o => o.Tau, (o, v) => o with { Tau = (float)v }, min: 0),
                    }
                    : [
                        new("head_reduction", RouterOptionKind.Choice, "how the heads' attention probabilities combine", d, o => o.HeadReduction, (o, v) => o with { HeadReduction = (string)v }, choices: ["mean"]),
                        new("detach_attention", RouterOptionKind.Bool, "use the attention graph as a constant (no routing gradient into q/k)", d, o => o.DetachAttention, (o, v) => o with { DetachAttention = (bool)v }),
                    ],
                new("aux_alpha", RouterOptionKind.Float, "load-balancing loss coefficient on P̃ (0 = off)", d, o => o.AuxAlpha, (o, v) => o with { AuxAlpha = (float)v }, min: 0),
            ],
            (s, o) => Compose(new GraphMixScorer(s.ModelDim, s.Experts, s.Rng, graph, o.ProjDim, o.Tau, o.DetachAttention), new TopKSelector(o.K) { Normalize = o.Normalize },
                o.AuxAlpha > 0 ? new LoadBalancingLoss(o.AuxAlpha) : null, null),
            (s, o) => o.K > s.Experts ? ("k", $"= {o.K} must be ≤ the {s.Experts} experts") : null);

    static Router Compose(IScorer scorer, ISelector selector, IBalancer? first, IBalancer? second)
    {
        var balancers = new List<IBalancer>(2);
        if (first is not null) balancers.Add(first);
        if (second is not null) balancers.Add(second);
        return new Router(scorer, selector, [.. balancers]);
    }
}
