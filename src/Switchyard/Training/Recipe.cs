using System.Text.Json;
using Switchyard.Data;
using Switchyard.Models;

namespace Switchyard.Training;

/// <summary>
/// Everything a training run depends on: model, routers, data, budget, optimizer, schedule,
/// evaluation, seed, threads and where outputs go. Read with <see cref="RecipeJson.Load"/> (a JSON
/// file whose fields override <see cref="Default"/>), written resolved into the run directory as
/// <c>recipe.json</c> (docs/training.md lists the fields).
/// </summary>
public sealed record Recipe
{
    /// <summary>Run name; the run directory is <c>runs/&lt;name&gt;</c> unless <see cref="Out"/> is set.</summary>
    public string Name { get; init; } = "tiny-moe";

    /// <summary>The model architecture; its <c>switchyard</c> extension is replaced by <see cref="Router"/>, <see cref="RouterOptions"/> and <see cref="RouterLayers"/>.</summary>
    public required ModelConfig Model { get; init; }

    /// <summary>Router catalog name for every MoE layer (null: the architecture's own softmax top-k).</summary>
    public string? Router { get; init; }

    /// <summary>Options object for <see cref="Router"/> (catalog keys), or null for its defaults.</summary>
    public JsonElement? RouterOptions { get; init; }

    /// <summary>Per-layer router overrides (index, router name, options).</summary>
    public IReadOnlyList<LayerOverride> RouterLayers { get; init; } = [];

    /// <summary>Data mixture name (<see cref="MixtureCatalog"/>; default <c>bundled</c>: Brown + UDHR + synthetic tasks).</summary>
    public string Mixture { get; init; } = "bundled";

    /// <summary><c>byte</c> or <c>bpe</c> (trained on the training split at start).</summary>
    public string Tokenizer { get; init; } = "byte";

    /// <summary>Vocabulary size of a <c>bpe</c> tokenizer.</summary>
    public int BpeVocabSize { get; init; } = 1024;

    /// <summary>Share of documents held out for validation.</summary>
    public double ValidationFraction { get; init; } = 0.1;

    /// <summary>Tokens per training window.</summary>
    public int SeqLen { get; init; } = 128;

    /// <summary>Windows per step.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Optimizer steps.</summary>
    public int Steps { get; init; } = 1200;

    /// <summary>Peak AdamW learning rate.</summary>
    public double LearningRate { get; init; } = 3e-3;

    /// <summary>AdamW β1.</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>AdamW β2.</summary>
    public double Beta2 { get; init; } = 0.95;

    /// <summary>AdamW ε.</summary>
    public double Eps { get; init; } = 1e-8;

    /// <summary>Decoupled weight decay (norms and biases exempt).</summary>
    public double WeightDecay { get; init; } = 0.1;

    /// <summary>Linear warmup steps.</summary>
    public int WarmupSteps { get; init; } = 30;

    /// <summary>Floor of the cosine decay.</summary>
    public double MinLearningRate { get; init; } = 3e-4;

    /// <summary>Global gradient-norm clip (0 = off).</summary>
    public double ClipNorm { get; init; } = 1.0;

    /// <summary>
    /// Multi-pass consistency loss (THOR, arXiv 2110.04260): when &gt; 0, each step runs the batch twice (independent
    /// routing draws) and minimises ½(L₁ + L₂) + α/2 · ½[KL(p₁‖p₂) + KL(p₂‖p₁)] over the loss tokens: the paper's
    /// CE₁ + CE₂ + α·symKL halved, so the gradient scale (and clipping) matches a single pass. 0 = off (one pass).
    /// </summary>
    public double ConsistencyAlpha { get; init; }

    /// <summary>Initial weights from another run (optionally converted), or null for a fresh initialisation.</summary>
    public RecipeInit? Init { get; init; }

    /// <summary>Which parameters the optimizer updates; the others stay frozen.</summary>
    public TrainableScope Trainable { get; init; } = TrainableScope.All;

    /// <summary>Evaluate every this many steps (and at the end); 0 = only at the end.</summary>
    public int EvalInterval { get; init; } = 100;

    /// <summary>Validation batches per evaluation, spread evenly over the whole validation split.</summary>
    public int EvalBatches { get; init; } = 16;

    /// <summary>Write a checkpoint every this many steps (and at the end); 0 = the evaluation interval.</summary>
    public int CheckpointInterval { get; init; }

    /// <summary>Seed of the weights, the data split, the batch order and routing noise.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Kernel threads; 0 = all cores. Results are bit-identical only for the same count.</summary>
    public int Threads { get; init; }

    /// <summary>Run directory, or null for <c>runs/&lt;name&gt;</c> (a suffix is added if it exists).</summary>
    public string? Out { get; init; }

    /// <summary>The checkpoint interval in effect.</summary>
    public int EffectiveCheckpointInterval => CheckpointInterval > 0 ? CheckpointInterval : EvalInterval > 0 ? EvalInterval : Steps;

    /// <summary>The model configuration with the recipe's routers written into its <c>switchyard</c> extension (what <c>config.json</c> holds).</summary>
    public ModelConfig ResolvedModel()
    {
        if (Router is null && RouterLayers.Count == 0) return Model;
        var ext = (Model.Switchyard ?? new SwitchyardOptions()) with { Router = Router, RouterOptions = RouterOptions, Layers = RouterLayers };
        return Model with { Switchyard = ext };
    }

    /// <summary>
    /// The embedded default: a 2-layer Mixtral-style MoE (d 128, 8 experts of width 256, top-2,
    /// load-balancing loss), byte tokenizer, 16 × 128 tokens per step, 1200 steps on the bundled corpus.
    /// </summary>
    public static Recipe Default => RecipeJson.Parse(DefaultJson, "default recipe");

    /// <summary>The default recipe's JSON (also in <c>data/recipes/tiny-moe.json</c>).</summary>
    public const string DefaultJson = """
        {
          "name": "tiny-moe",
          "model": {
            "model_type": "mixtral",
            "hidden_size": 128,
            "intermediate_size": 256,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "num_local_experts": 8,
            "num_experts_per_tok": 2,
            "max_position_embeddings": 512,
            "rope_theta": 10000.0,
            "tie_word_embeddings": true,
            "router_aux_loss_coef": 0.01
          },
          "router": { "name": "top-k", "options": { "k": 2, "aux_alpha": 0.01 } },
          "data": { "mixture": "bundled", "tokenizer": "byte", "seq_len": 128, "batch_size": 16, "validation_fraction": 0.1 },
          "steps": 1200,
          "optimizer": { "lr": 0.003, "beta1": 0.9, "beta2": 0.95, "eps": 1e-8, "weight_decay": 0.1 },
          "schedule": { "warmup_steps": 30, "min_lr": 0.0003 },
          "clip_norm": 1.0,
          "eval": { "interval": 100, "batches": 16 },
          "seed": 1,
          "threads": 0
        }
        """;
}
