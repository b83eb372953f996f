using System.Globalization;
using Switchyard.Autograd;
using Switchyard.Experts;
using Switchyard.Models;
using Switchyard.Nn;
using Switchyard.Routing;
using Switchyard.Routing.Scorers;
using Switchyard.Routing.Catalog;
using Switchyard.Routing.Selectors;
using Switchyard.Tensors;

namespace Switchyard.Inference;

/// <summary>
/// A decoder of the model family prepared for generation: weights as <see cref="WeightMatrix"/>
/// used where they lie (a built <see cref="DecoderModel"/>'s arrays, a memory-mapped checkpoint),
/// no autograd, every activation buffer preallocated. <see cref="Forward"/> runs any number of new
/// tokens against a <see cref="KvCache"/> (a whole prompt in one pass, or one token per decode step)
/// and computes exactly what <see cref="DecoderModel.Forward"/> computes, for every architecture
/// (Llama, Qwen2/Qwen3, Mixtral, Qwen2-MoE, Qwen3-MoE, OLMoE, Granite, Granite-MoE).
/// </summary>
/// <remarks>
/// <para>MoE layers route through the router catalog: <see cref="SetRouter(string, IEnumerable{string})"/>
/// swaps the selector of every MoE layer (top-k with another k, …) at inference time. Routed
/// experts' weights come from <see cref="ExpertSource"/> (resident by default; a streaming source
/// for expert offloading can be set), one expert at a time.</para>
/// <para>Not thread-safe: one forward pass at a time. A decode step allocates nothing.</para>
/// </remarks>
public sealed partial class InferenceModel : IDisposable
{
    readonly ICheckpointTensors _tensors;
    readonly InferenceLayer[] _layers;
    readonly Workspace _ws;
    readonly Tape _tape = new(1 << 12);
    readonly RoutingContext _routing = new(new Rng(0));
    readonly Router?[] _modelRouters;

    readonly bool _interleavedRope;

    InferenceModel(ModelConfig config, ICheckpointTensors tensors, InferenceOptions? options, Func<int, Router?> modelRouter)
    {
        // llama.cpp stores q_proj/k_proj of the Llama and Granite families with rows permuted to adjacent
        // RoPE pairs; rotating those pairs (interleaved RoPE) gives the same attention without un-permuting.
        _interleavedRope = tensors is GgufTensors && GgufTensorNames.PermutesQueryKey(config.ModelType);
        options ??= new InferenceOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.PrefillChunk, nameof(options.PrefillChunk));
        // The engine runs the architecture's MoE block (routed SwiGLU experts + shared experts); other block kinds
        // (FiLM, ternary, chained, parallel, …) run through DecoderModel.
        if (config.Switchyard?.Block is { } block && block != MoeBlockCatalog.Default)
            throw new InvalidConfigException(null, "switchyard.block",
                $"\"{MoeBlockCatalog.Default}\" (the inference engine runs only the architecture's MoE block; evaluate this model with DecoderModel)", $"\"{block}\"");
        Config = config;
        _tensors = tensors;
        int maxContext = options.MaxContext ?? Math.Min(config.MaxPositionEmbeddings, 4096);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxContext, nameof(options.MaxContext));
        MaxContext = maxContext;
        int d = config.HiddenSize, v = config.VocabSize;
        var check = new TensorCheck(tensors);
        Embedding = check.Matrix("model.embed_tokens.weight", v, d)!;
        FinalNorm = check.Vector("model.norm.weight", d);
        LmHead = config.TieWordEmbeddings ? Embedding : check.Matrix("lm_head.weight", v, d)!;
        _layers = new InferenceLayer[config.NumHiddenLayers];
        _modelRouters = new Router?[config.NumHiddenLayers];
        for (int i = 0; i < _layers.Length; i++)
        {
            _modelRouters[i] = config.LayerKind(i) == FeedForwardKind.Moe ? modelRouter(i) : null;
            _layers[i] = LoadLayer(check, i);
        }
        check.ThrowIfAny();
        ResidentExperts = new ResidentExpertSource(Array.ConvertAll(_layers, l => l.Moe?.Resident));
        ExpertSource = ResidentExperts;
        _ws = new Workspace(config, Math.Min(options.PrefillChunk, maxContext), maxContext);
        ResetRouter();
    }

    /// <summary>
    /// The inference view of <paramref name="model"/>: its float32 parameters are used in place (not
    /// copied), so later changes to them show; its MoE layers' routers (selectors, learned biases) are reused.
    /// </summary>
    /// <exception cref="NotSupportedException">A feed-forward block is neither the dense MLP nor <see cref="MoeFeedForward"/> (e.g. LoRA-wrapped).</exception>
    public static InferenceModel FromModel(DecoderModel model, InferenceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        for (int i = 0; i < model.Layers.Count; i++)
            if (model.Layers[i].FeedForward is not (DenseFeedForward or MoeFeedForward))
                throw new NotSupportedException($"layer {i}: feed-forward {model.Layers[i].FeedForward.GetType().Name} is not supported for inference");
        return new InferenceModel(model.Config, new ModelTensors(model), options,
            i => ((MoeFeedForward)model.Layers[i].FeedForward).Layer.Router);
    }

    /// <summary>
    /// Loads a model from <paramref name="path"/>: a Hugging Face checkpoint folder (<c>config.json</c> +
    /// <c>model.safetensors</c> or a sharded index), a Switchyard run folder (the same two files), or a
    /// llama.cpp <c>.gguf</c> file (configuration from its metadata; F32/F16/BF16/Q8_0/Q4_0/Q4_K/Q6_K used as stored).
    /// Weights are memory-mapped and used in place (F32, F16, BF16).
    /// </summary>
    /// <exception cref="ModelNotFoundException">The path does not exist or lacks config.json or weights.</exception>
    /// <exception cref="InvalidConfigException">The configuration is invalid or not buildable.</exception>
    /// <exception cref="Nn.CheckpointMismatchException">Tensors are missing or of the wrong shape.</exception>
    public static InferenceModel Load(string path, InferenceOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string configPath = CheckModelPath(path);
        if (IsGguf(path)) return LoadGguf(path, options);
        var config = ModelConfig.Load(configPath);
        config.EnsureBuildable(configPath);
        ICheckpointTensors tensors;
        try
        {
            tensors = new SafeTensorsCheckpoint(path, DecoderModel.WeightsFileName);
        }
        catch (FileNotFoundException)
        {
            throw new ModelNotFoundException(path, $"no {DecoderModel.WeightsFileName} or model.safetensors.index.json next to config.json");
        }
        try
        {
            return new InferenceModel(config, tensors, options, _ => null);
        }
        catch
        {
            tensors.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Where <see cref="Load"/> reads the configuration of <paramref name="path"/>: a model folder's
    /// <c>config.json</c>, or the <c>.gguf</c> file itself; what <see cref="Load"/> checks first.
    /// </summary>
    /// <exception cref="ModelNotFoundException">The path is missing, a file other than .gguf, or a folder without config.json.</exception>
    public static string CheckModelPath(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (IsGguf(path)) return path;
        if (File.Exists(path))
            throw new ModelNotFoundException(path, "is a file; expected a .gguf file or a folder with config.json and model.safetensors (a Hugging Face checkpoint or a Switchyard run)");
        if (!Directory.Exists(path)) throw new ModelNotFoundException(path, "no such folder");
        string config = Path.Combine(path, DecoderModel.ConfigFileName);
        if (!File.Exists(config))
            throw new ModelNotFoundException(path, "no config.json; expected a Hugging Face checkpoint folder or a Switchyard run folder");
        return config;
    }

    /// <summary>Whether <paramref name="path"/> is a GGUF file.</summary>
    public static bool IsGguf(string path) => File.Exists(path) && path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase);

    // Configuration from the metadata (GgufModelConfig), tensors in place in the mapping.
    static InferenceModel LoadGguf(string path, InferenceOptions? options)
    {
        var file = Formats.Gguf.GgufFile.Open(path);
        try
        {
            ModelConfig config = GgufModelConfig.FromGguf(file);
            config.EnsureBuildable(path);
            return new InferenceModel(config, new GgufTensors(file), options, _ => null);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The architecture.</summary>
    public ModelConfig Config { get; }

    /// <summary>Longest sequence a cache from <see cref="CreateCache"/> holds.</summary>
    public int MaxContext { get; }

    /// <summary>Vocabulary size (width of a logits row).</summary>
    public int VocabSize => Config.VocabSize;

    /// <summary>Number of decoder layers.</summary>
    public int LayerCount => _layers.Length;

    /// <summary>The token embeddings [vocab, d].</summary>
    public WeightMatrix Embedding { get; }

    /// <summary>The output projection [vocab, d] (the embedding when tied).</summary>
    public WeightMatrix LmHead { get; }

    internal ReadOnlyMemory<float> FinalNorm { get; }

    /// <summary>The experts as loaded (in memory or memory-mapped).</summary>
    public ResidentExpertSource ResidentExperts { get; }

    /// <summary>Where routed experts' weights come from (default <see cref="ResidentExperts"/>); set a streaming source to offload experts.</summary>
    public IExpertWeightSource ExpertSource
    {
        get => _expertSource;
        set => _expertSource = value ?? throw new ArgumentNullException(nameof(value));
    }

    IExpertWeightSource _expertSource = null!;

    /// <summary>A cache for one sequence of up to <see cref="MaxContext"/> tokens.</summary>
    public KvCache CreateCache() => new(_layers.Length, MaxContext, Config.KeyValueHeads, Config.EffectiveHeadDim);

    /// <summary>Whether layer <paramref name="layer"/> is an MoE layer.</summary>
    public bool IsMoeLayer(int layer) => _layers[layer].Moe is not null;

    /// <summary>The router of MoE layer <paramref name="layer"/> (its selector is the catalog router's), or null for a dense layer.</summary>
    public Router? LayerRouter(int layer) => _layers[layer].Moe?.Router;

    /// <summary>The routing plan of MoE layer <paramref name="layer"/>'s last pass (reused; valid until the next pass), or null for a dense layer.</summary>
    public RoutingPlan? LastPlan(int layer) => _layers[layer].Moe?.Plan;

    /// <summary>
    /// Where each routed expert of MoE layer <paramref name="layer"/> lies in the checkpoint file (for a
    /// streaming expert source), or null for a dense layer or weights that are not in a file.
    /// </summary>
    public IReadOnlyList<ExpertLocation>? ExpertLocations(int layer) => _layers[layer].Moe?.Locations;

    /// <summary>
    /// Switches every MoE layer to catalog router <paramref name="name"/> with <c>key=value</c>
    /// <paramref name="options"/> (e.g. <c>top-k</c>, <c>["k=4"]</c>); scores still come from each
    /// layer's gate weight. As in training configs, a top-k router without <c>k</c> takes
    /// <c>num_experts_per_tok</c>.
    /// </summary>
    /// <exception cref="UnknownRouterException">No such router.</exception>
    /// <exception cref="InvalidRouterOptionException">An option is malformed or out of range, or the router is not causal.</exception>
    public void SetRouter(string name, IEnumerable<string> options)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(options);
        string[] list = [.. options];
        RouterEntry entry = RouterCatalog.Get(name);
        object parsed = entry.ParseOptions(list);
        bool explicitK = Array.Exists(list, o => o.TrimStart().StartsWith("k=", StringComparison.Ordinal));
        Apply(i => CatalogRouter(Config, i, name, parsed, explicitK));
    }

    /// <summary>As <see cref="SetRouter(string, IEnumerable{string})"/> with a typed options record (null = the entry's defaults, k from the config).</summary>
    /// <exception cref="UnknownRouterException">No such router.</exception>
    /// <exception cref="InvalidRouterOptionException">An option is out of range, or the router is not causal.</exception>
    public void SetRouter(string name, object? options = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        RouterCatalog.Get(name);
        Apply(i => CatalogRouter(Config, i, name, options, explicitK: options is not null));
    }

    /// <summary>Restores each MoE layer's own router (the model's, or the configuration's).</summary>
    public void ResetRouter() => Apply(i => _modelRouters[i] ?? CatalogRouter(Config, i, null, null, false));

    void Apply(Func<int, Router> create)
    {
        var routers = new Router?[_layers.Length];
        for (int i = 0; i < _layers.Length; i++)
        {
            if (_layers[i].Moe is null) continue;
            Router r = create(i);
            if (!r.IsCausal)
                throw new InvalidRouterOptionException(r.Selector.GetType().Name, "router",
                    "selects among all tokens of a batch (not causal), so it cannot route one token at a time; choose a causal router");
            // The engine scores from the checkpoint's gate weight and resets its routing tape per layer: a scorer with
            // trained parameters of its own or state carried across layers (RMoE's GRU) would run with fresh weights
            // and a zero state, silently giving other outputs than the trained model.
            if (r.Scorer is Module { } m and not LinearScorer && m.Parameters().Count > 0)
                throw new InvalidRouterOptionException(r.Scorer.GetType().Name, "router",
                    $"layer {i}: scores with trained parameters of its own ({m.Parameters().Count}), which the inference engine does not run yet; use the training model's forward pass or a router with a linear gate");
            routers[i] = r;
        }
        // All layers validated before any changes.
        for (int i = 0; i < _layers.Length; i++)
            if (_layers[i].Moe is { } moe) moe.SetRouter(routers[i]!);
    }

    // The router MoeFeedForward.Create builds for this layer, or catalog router `name` with `options`.
    internal static Router CatalogRouter(ModelConfig config, int layer, string? name, object? options, bool explicitK)
    {
        string router = name ?? config.RouterFor(layer) ?? "top-k";
        bool architectural = name is null && config.RouterFor(layer) is null;
        RouterEntry entry = RouterCatalog.Get(router);
        if (options is null && name is null && config.RouterOptionsFor(layer) is { } json)
        {
            options = entry.ParseOptions(json);
            explicitK = json.ValueKind == System.Text.Json.JsonValueKind.Object && json.TryGetProperty("k", out _);
        }
        options ??= entry.Defaults;
        int k = config.NumExpertsPerTok;
        options = options switch
        {
            TopKRouterOptions t when architectural => t with { K = k, Normalize = config.NormTopkProb },
            TopKRouterOptions t when router == "top-k" && !explicitK && k > 0 => t with { K = k },
            SigmoidBiasRouterOptions s when !explicitK && k > 0 => s with { K = k },
            _ => options,
        };
        return RouterCatalog.Create(router, new RouterSetup(config.HiddenSize, config.NumExperts, new Rng(0)), options);
    }

    /// <summary>
    /// Weight bytes one decoded token reads: attention and dense projections, norm weights and biases, per MoE
    /// layer the router, the shared expert and k routed experts (k of the current selector), the final norm,
    /// the output projection and one embedding row. The KV cache it also reads is not included.
    /// </summary>
    public long ActiveWeightBytesPerToken
    {
        get
        {
            long bytes = LmHead.ByteLength + Embedding.RowBytes + FinalNorm.Length * sizeof(float);
            foreach (InferenceLayer l in _layers)
            {
                bytes += l.Q.ByteLength + l.K.ByteLength + l.V.ByteLength + l.O.ByteLength;
                // Norm weights and biases: small, but read every token too.
                bytes += sizeof(float) * (long)(l.InputNorm.Length + l.PostNorm.Length + l.QNorm.Length + l.KNorm.Length
                    + l.QBias.Length + l.KBias.Length + l.VBias.Length + l.OBias.Length);
                if (l.Dense is { } dense) bytes += dense.ByteLength;
                if (l.Moe is { } moe)
                {
                    bytes += (moe.RouterWeight?.ByteLength ?? 0) + (moe.Shared?.ByteLength ?? 0) + (moe.SharedGate?.ByteLength ?? 0);
                    long experts = 0;
                    foreach (ExpertWeights w in moe.Resident) experts += w.ByteLength;
                    bytes += experts / moe.Experts * Math.Min(moe.Router.Selector.K, moe.Experts);
                }
            }
            return bytes;
        }
    }

    /// <summary>
    /// Reads one byte of every 4 KiB of every weight matrix, so that a memory-mapped checkpoint's pages are
    /// mapped before timing: otherwise the first tokens that route to an expert pay its page faults (a
    /// one-time cost that a long-running server does not see). Experts come from <see cref="ResidentExperts"/>.
    /// </summary>
    /// <returns>A checksum of the bytes read (so the reads cannot be optimized away).</returns>
    public long TouchWeights()
    {
        long sum = Touch(Embedding) + (ReferenceEquals(LmHead, Embedding) ? 0 : Touch(LmHead));
        foreach (InferenceLayer l in _layers)
        {
            sum += Touch(l.Q) + Touch(l.K) + Touch(l.V) + Touch(l.O);
            if (l.Dense is { } dense) sum += Touch(dense.Gate) + Touch(dense.Up) + Touch(dense.Down);
            if (l.Moe is { } moe)
            {
                if (moe.RouterWeight is { } r) sum += Touch(r);
                foreach (ExpertWeights w in moe.Resident) sum += Touch(w.Gate) + Touch(w.Up) + Touch(w.Down);
                if (moe.Shared is { } sh) sum += Touch(sh.Gate) + Touch(sh.Up) + Touch(sh.Down);
            }
        }
        return sum;

        static long Touch(WeightMatrix w)
        {
            ReadOnlySpan<byte> b = w.Bytes.Span;
            long s = 0;
            for (int i = 0; i < b.Length; i += 4096) s += b[i];
            return s;
        }
    }

    /// <summary>Bytes of every weight matrix (embedding and head counted once when tied).</summary>
    public long WeightBytes
    {
        get
        {
            long bytes = Embedding.ByteLength + (ReferenceEquals(LmHead, Embedding) ? 0 : LmHead.ByteLength);
            foreach (InferenceLayer l in _layers)
            {
                bytes += l.Q.ByteLength + l.K.ByteLength + l.V.ByteLength + l.O.ByteLength + (l.Dense?.ByteLength ?? 0);
                if (l.Moe is { } moe)
                {
                    bytes += (moe.RouterWeight?.ByteLength ?? 0) + (moe.Shared?.ByteLength ?? 0) + (moe.SharedGate?.ByteLength ?? 0);
                    foreach (ExpertWeights w in moe.Resident) bytes += w.ByteLength;
                }
            }
            return bytes;
        }
    }

    /// <summary>Releases the memory-mapped checkpoint (matrices from it become invalid).</summary>
    public void Dispose() => _tensors.Dispose();

    static string Layer(int i) => "model.layers." + i.ToString(CultureInfo.InvariantCulture) + ".";
}
