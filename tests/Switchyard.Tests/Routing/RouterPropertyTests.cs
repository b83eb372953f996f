using CsCheck;
using Switchyard.Autograd;
using Switchyard.Routing;
using Switchyard.Routing.Catalog;
using Switchyard.Tensors;

namespace Switchyard.Tests.Routing;

/// <summary>Random N, E, k, scores and capacity settings for every catalog router: the plan invariants hold and routing is deterministic.</summary>
public class RouterPropertyTests
{
    const int ModelDim = 6;

    // One random case: router name, items, experts and options as key=value strings.
    static readonly Gen<(string Name, int Items, int Experts, string[] Options, ulong Seed)> Cases =
        from name in Gen.OneOf(RouterCatalog.Names.ToArray())
        from items in Gen.Int[1, 40]
        from experts in Gen.Int[1, 12]
        from k in Gen.Int[1, experts]
        from normalize in Gen.Bool
        from factor in Gen.OneOf("0", "0.5", "1", "1.25", "2")
        from drop in Gen.OneOf("position", "score")
        from renorm in Gen.Bool
        from groups in Gen.OneOf(1, 2, 4)
        from nulls in Gen.Int[1, 8]
        from p in Gen.OneOf("0.05", "0.4", "0.9", "1")
        from seed in Gen.ULong
        select (name, items, experts, Options(name, experts, k, normalize, factor, drop, renorm, groups, nulls, p), seed);

    static string[] Options(string name, int experts, int k, bool normalize, string factor, string drop, bool renorm, int groups, int nulls, string p) => name switch
    {
        "top-p" => [$"p={p}", $"max_k={(normalize ? 0 : k)}"],
        "adamoe" => [$"null_experts={nulls}", $"k={Math.Min(k + nulls / 2, experts + nulls)}", $"aux_convention={(normalize ? "mixtral" : "switch")}"],
        "smoe-dropout" => [$"k_min={k}", $"k_max={Math.Min(experts, k + 2)}", $"eval_k={(renorm ? 1 : 0)}"],
        "rmoe" => [$"k={k}", $"hidden={k + 1}", $"normalize={normalize}"],
        "mofme" => [$"k={k}", $"normalize={normalize}", $"dropout={(renorm ? "0.5" : "0")}", $"samples={k}", $"train_samples={(normalize ? 1 : 2)}"],
        "dynamic-dino" => [$"k={k}", $"gate_scale={(normalize ? 0 : 1.5)}"],
        "read-me" => [$"window={k}", "width=3", "hidden=4", "vocab=50"],
        "similarity-moe" => [$"k={k}", $"normalize={normalize}", $"proj_dim={k + 1}", $"tau={(renorm ? 0 : 0.5)}"],
        "attention-moe" => [$"k={k}", $"normalize={normalize}", $"detach_attention={renorm}"],
        "thor" => [$"granularity={drop switch { "position" => "batch", _ => normalize ? "token" : "sequence" }}"],
        "promoe" when experts > 1 && renorm => [$"k={Math.Min(k, experts - 1)}", "hard_role=prompt", $"ids={(normalize ? "input" : "target")}"],
        "promoe" => [$"k={k}", "hard_role=none", $"rcl_alpha={(normalize ? 0.01 : 0)}"],
        "moiie" => [$"text_experts={experts / 3}", $"task_experts={experts / 3}", $"k={Math.Min(k, experts - 2 * (experts / 3) + experts / 3)}", $"unlabelled={(renorm ? "task" : "text")}"],
        "duo-random" => [$"big_fraction={(normalize ? "0" : p)}"],
        "duo-router" => [$"budget={(renorm ? "0" : p)}", $"lambda={k}", "lambda_rate=0.5"],
        "top-k" or "switch" or "gshard" or "mixtral" =>
            [$"k={k}", $"normalize={normalize}", $"capacity_factor={factor}", $"drop_policy={drop}", $"renormalize_after_drop={renorm}"],
        "roma" => [$"k={k}", $"neighbours={k}", $"last_token={normalize}"],
        "expert-choice" => [$"capacity_factor={(factor == "0" ? "3" : factor)}"],
        "sigmoid-bias" when experts % groups == 0 && groups > 1 && k <= experts / groups =>
            [$"k={k}", $"normalize={normalize}", $"groups={groups}", "top_groups=1", "scaling_factor=2.5"],
        "sigmoid-bias" => [$"k={k}", $"normalize={normalize}"],
        "noisy-mlp" => [$"k={k}", $"noisy={normalize}", $"cv_alpha={(renorm ? 0.01 : 0)}"],
        "language-family" => [$"k={k}", $"group={(normalize ? "family" : "language")}", $"normalize={renorm}"],
        _ => [$"seed={k}"],
    };

    static (RoutingPlan Plan, Router Router, float[] Probs) Route(string name, int items, int experts, string[] options, ulong seed)
    {
        Router router = RouterCatalog.Create(name, new RouterSetup(ModelDim, experts, new Rng(seed)), options);
        var rng = new Rng(seed + 1);
        var x = new Tensor(new Shape(items, ModelDim));
        rng.FillNormal(x.Span, 30f); // gate weights are N(0, 0.02²): scale x so the logits spread
        var ids = new int[items];
        for (int i = 0; i < items; i++) ids[i] = rng.NextInt(50);
        int[] languages = [.. ids.Select(id => id % 9 - 1)]; // -1 = no language (language-family routers force the others)
        // A training step somewhere on a 100-step run (step-dependent routers: SMoE-Dropout's k).
        // Side ids in [-1, 2] (−1: unlabelled or padding) for the routers that read roles or modalities (promoe, moiie).
        var side = new int[items];
        for (int i = 0; i < items; i++) side[i] = rng.NextInt(4) - 1;
        var tape = new Tape(4096);
        // The attention graph router reads the preceding attention's queries and keys (2 heads, 1 kv head, width 3).
        var q = new Tensor(new Shape(1, items, 2, 3));
        var kv = new Tensor(new Shape(1, items, 1, 3));
        rng.FillNormal(q.Span);
        rng.FillNormal(kv.Span);
        RouterState State() => new() { Attention = new AttentionInputs(tape.Constant(q), tape.Constant(kv), 0.5f) };
        var context = new RoutingContext(new Rng(seed + 2))
        {
            TokenIds = ids, LanguageIds = languages, LanguageFamilyIds = languages, Training = true, Step = (long)(seed % 150), TotalSteps = 100,
            TokenRoles = side, ModalityIds = side, State = State(),
        };
        var plan = new RoutingPlan();
        Var? aux = router.Route(tape, tape.Variable(x), context, plan);
        if (aux is not null) Assert.True(float.IsFinite(aux.Value.Span[0]));
        // Probabilities as the selector saw them.
        Var logits = router.Scorer.Score(tape, tape.Constant(x), new RoutingContext(new Rng(seed + 2)) { TokenIds = ids, Training = true, TokenRoles = side, ModalityIds = side, State = State() });
        float[] probs = router.Scorer.Activation switch
        {
            GateActivation.Softmax => tape.Softmax(logits).Value.ToArray(),
            GateActivation.Sigmoid => tape.Sigmoid(logits).Value.ToArray(),
            _ => logits.Value.ToArray(),
        };
        return (plan, router, probs);
    }

    [Fact]
    public void Route_EveryCatalogRouter_KeepsPlanInvariants()
    {
        int drops = 0, emptyItems = 0;
        var names = new HashSet<string>();
        Cases.Sample((name, items, experts, options, seed) =>
        {
            var (plan, router, probs) = Route(name, items, experts, options, seed);
            drops += plan.DroppedCount;
            emptyItems += router.Statistics.ExpertsPerItemHistogram[0];
            names.Add(name);
            PlanAssert.Valid(plan, probs, router.Selector.Gate);
            Assert.Equal(plan.Count, router.Statistics.Assignments);
            if (plan.Count > 0) Assert.Equal(1f, router.Statistics.Load.ToArray().Sum(), 1e-4f); // adamoe may pick only null experts
            Assert.Equal(experts, plan.Experts);
        }, iter: 300, threads: 1);

        // The random cases did exercise dropping, items without experts and every router
        Assert.True(drops > 0, "no case dropped anything");
        Assert.True(emptyItems > 0, "no case left an item without experts");
        Assert.Equal(RouterCatalog.Names.Count(), names.Count);
    }

    [Fact]
    public void Route_SameSeed_IdenticalPlans()
    {
        Cases.Sample((name, items, experts, options, seed) =>
        {
            var a = Route(name, items, experts, options, seed).Plan;
            var b = Route(name, items, experts, options, seed).Plan;
            Assert.Equal(a.Offsets.ToArray(), b.Offsets.ToArray());
            Assert.Equal(a.Item.ToArray(), b.Item.ToArray());
            Assert.Equal(a.Weight.ToArray(), b.Weight.ToArray());
            Assert.Equal(a.DroppedItem.ToArray(), b.DroppedItem.ToArray());
        }, iter: 60, threads: 1);
    }
}
