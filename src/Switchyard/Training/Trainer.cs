using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Switchyard.Autograd;
using Switchyard.Data;
using Switchyard.Data.Tokenizers;
using Switchyard.Experts;
using Switchyard.Formats;
using Switchyard.Models;
using Switchyard.Routing;
using Switchyard.Nn;
using Switchyard.Nn.Optim;
using Switchyard.Routing.Selectors;
using Switchyard.Tensors;

namespace Switchyard.Training;

/// <summary>
/// Trains a model from a <see cref="Recipe"/> into a run directory (docs/training.md): AdamW with
/// warmup + cosine, global-norm clipping, periodic evaluation per domain, atomic checkpoints,
/// <c>metrics.jsonl</c>, NaN/Inf detection that names the layer and op, and bit-identical resume.
/// Progress goes to an <see cref="IProgress{T}"/>; the library prints nothing.
/// </summary>
public sealed partial class Trainer
{
    /// <summary>File names inside a run directory.</summary>
    public const string ModelFile = "model.safetensors", ConfigFile = "config.json", OptimizerFile = "optimizer.safetensors",
        StateFile = "trainer_state.json", RecipeFile = "recipe.json", MetricsFile = "metrics.jsonl", SummaryFile = "summary.json",
        TokenizerJsonFile = HfTokenizer.FileName;

    readonly Recipe _recipe;
    readonly string _dir;
    readonly TrainOptions _options;
    readonly DecoderModel _model;
    readonly DataMixture _mixture;
    readonly TokenBatcher _batcher;
    readonly AdamW _optimizer;
    readonly WarmupCosineSchedule _schedule;
    readonly IReadOnlyList<Parameter> _parameters;
    readonly IReadOnlyList<(string Name, Parameter Parameter)> _named;
    readonly Tape _tape = new();
    readonly Tape _evalTape = new();
    readonly NodeBoundaries _boundaries = new();
    readonly int _threads;
    int _step, _lastCheckpoint;

    Trainer(Recipe recipe, string dir, TrainOptions options)
    {
        _recipe = recipe;
        _dir = dir;
        _options = options;
        _threads = recipe.Threads > 0 ? recipe.Threads : Environment.ProcessorCount;
        ParallelRunner.Threads = _threads;
        // A resumed run reads back the vocabulary it saved rather than retraining it (same ids, seconds saved).
        ITokenizer tokenizer = recipe.Tokenizer != "bpe" ? ByteTokenizer.Instance
            : File.Exists(Path.Combine(dir, BpeVocabulary.VocabFileName)) && File.Exists(Path.Combine(dir, BpeVocabulary.MergesFileName))
                ? BpeTokenizer.Load(dir) : TrainBpe(recipe);
        _mixture = MixtureCatalog.Build(recipe.Mixture, tokenizer, recipe.Seed, recipe.ValidationFraction);
        _batcher = new TokenBatcher(_mixture, recipe.BatchSize, recipe.SeqLen, recipe.Seed ^ 0x5EED_BA7C);
        ModelConfig config = recipe.ResolvedModel();
        _model = new DecoderModel(config, new Rng(recipe.Seed), MoeFeedForward.FactoryWithTokenCounts(_mixture.TrainTokenCounts())) { Training = true, StatsSink = _boundaries };
        if (recipe.Init is { } init) Initialise(_model, init, recipe.Seed);
        ApplyTrainableScope(_model, recipe.Trainable);
        _named = _model.NamedParameters();
        _parameters = _model.Parameters();
        // Norm gains and biases are not decayed (GPT-2/llm.c convention): decay only matrices.
        _optimizer = new AdamW(_named, (float)recipe.LearningRate, (float)recipe.Beta1, (float)recipe.Beta2, (float)recipe.Eps,
            (float)recipe.WeightDecay, name => name.EndsWith("norm.weight", StringComparison.Ordinal) || name.EndsWith(".bias", StringComparison.Ordinal));
        _schedule = new WarmupCosineSchedule(recipe.LearningRate, recipe.WarmupSteps, recipe.Steps, recipe.MinLearningRate);
    }

    /// <summary>
    /// Runs <paramref name="recipe"/> from scratch into a new run directory (<see cref="Recipe.Out"/>, or
    /// <c>runs/&lt;name&gt;</c> with a numeric suffix when that exists: nothing is overwritten).
    /// </summary>
    /// <exception cref="TrainingDivergedException">A step produced NaN/Inf; the last good checkpoint is kept.</exception>
    /// <exception cref="InvalidRecipeException">The recipe cannot be built (e.g. the out directory is not empty).</exception>
    public static TrainResult Run(Recipe recipe, TrainOptions? options = null, IProgress<TrainStep>? progress = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        string dir = ChooseDirectory(recipe);
        int threads = ParallelRunner.Threads;
        try
        {
            var trainer = new Trainer(recipe, dir, options ?? new TrainOptions());
            Directory.CreateDirectory(dir);
            AtomicFile.WriteAllText(Path.Combine(dir, RecipeFile), RecipeJson.ToJson(recipe));
            trainer.SaveTokenizer();
            File.WriteAllText(Path.Combine(dir, MetricsFile), "");
            return trainer.Loop(progress, cancel);
        }
        finally { ParallelRunner.Threads = threads; } // the run's thread count is its own, not the process's
    }

    /// <summary>
    /// Continues the run in <paramref name="runDirectory"/> from its checkpoint with its own
    /// <c>recipe.json</c>: the following steps, losses and weights are bit-identical to those of an
    /// uninterrupted run with the same thread count. Metrics lines after the checkpoint are dropped.
    /// </summary>
    /// <exception cref="InvalidRecipeException">The directory holds no complete checkpoint.</exception>
    public static TrainResult Resume(string runDirectory, TrainOptions? options = null, IProgress<TrainStep>? progress = null, CancellationToken cancel = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(runDirectory);
        string statePath = Path.Combine(runDirectory, StateFile);
        foreach (string f in new[] { RecipeFile, StateFile, ModelFile, OptimizerFile })
            if (!File.Exists(Path.Combine(runDirectory, f)))
                throw new InvalidRecipeException(runDirectory, 0, $"cannot resume: no {f} (not a run directory, or no checkpoint was written yet)");
        Recipe recipe = RecipeJson.Load(Path.Combine(runDirectory, RecipeFile));
        using var state = JsonDocument.Parse(File.ReadAllBytes(statePath));
        JsonElement root = state.RootElement;
        int threads = root.GetProperty("threads").GetInt32(), saved = ParallelRunner.Threads;
        try
        {
            var trainer = new Trainer(recipe with { Threads = threads }, runDirectory, options ?? new TrainOptions());
            trainer.Restore(root);
            if (!File.Exists(Path.Combine(runDirectory, TokenizerJsonFile))) trainer.SaveTokenizer(); // runs from before tokenizers were saved
            return trainer.Loop(progress, cancel);
        }
        finally { ParallelRunner.Threads = saved; }
    }

    static string ChooseDirectory(Recipe recipe)
    {
        if (recipe.Out is { } o)
        {
            if (Directory.Exists(o) && Directory.EnumerateFileSystemEntries(o).Any())
                throw new InvalidRecipeException("out", 0, $"'{o}' exists and is not empty; choose another --out or continue it with --resume {o}");
            return o;
        }
        string baseDir = Path.Combine("runs", recipe.Name), dir = baseDir;
        for (int i = 2; Directory.Exists(dir); i++) dir = $"{baseDir}-{i}";
        return dir;
    }

    // The run's tokenizer beside its weights, once, each file atomically: a BPE as vocab.json + merges.txt (what
    // generate and resume read) and every tokenizer in Hugging Face form (tokenizer.json + configs, what export copies).
    void SaveTokenizer()
    {
        ITokenizer tokenizer = _mixture.Tokenizer;
        if (tokenizer is BpeTokenizer bpe) bpe.Vocabulary.Save(_dir);
        TokenizerFiles.Write(_dir, tokenizer, _model.Config.MaxPositionEmbeddings);
    }

    // Another run's weights, through the recipe's conversion, over the freshly built model.
    static void Initialise(DecoderModel model, RecipeInit init, ulong seed)
    {
        if (init.FromArm is { } arm)
            throw new InvalidRecipeException("init.from", 0, $"'arm:{arm}' names another arm of a comparison; outside `reproduce`/`compare` give a run directory");
        if (!File.Exists(Path.Combine(init.From, DecoderModel.ConfigFileName)))
            throw new InvalidRecipeException("init.from", 0, $"'{init.From}' holds no {DecoderModel.ConfigFileName} (expected a run or checkpoint directory)");
        DecoderModel source = DecoderModel.FromPretrained(init.From, MoeFeedForward.Factory);
        ModelConversions.Apply(init.Conversion, source, model, init.Options, new Rng(seed ^ 0xC0417E57));
    }

    // Freezes what the scope leaves out (parameters inside it keep their own flag: a frozen scorer stays frozen);
    // frozen parameters enter the tape as constants and AdamW skips them.
    static void ApplyTrainableScope(DecoderModel model, TrainableScope scope)
    {
        if (scope == TrainableScope.All) return;
        var keep = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < model.Layers.Count; i++)
        {
            FeedForwardBlock block = model.Layers[i].FeedForward;
            if (scope == TrainableScope.Moe && block.RoutedLayers.Any()) keep.UnionWith(block.Parameters());
            if (scope == TrainableScope.Routers)
                foreach (MoeLayer moe in block.RoutedLayers)
                    foreach (var (name, child) in moe.Children)
                        if (name == "gate") keep.UnionWith(child.Parameters());
        }
        if (keep.Count == 0) throw new InvalidRecipeException("trainable", 0, $"the scope '{scope.ToString().ToLowerInvariant()}' holds no parameter of this model (it has no MoE layer)");
        foreach (Parameter p in model.Parameters())
            if (!keep.Contains(p)) p.Trainable = false;
    }

    static BpeTokenizer TrainBpe(Recipe recipe)
    {
        // Brown and UDHR training documents only (never validation); capped so start-up stays seconds.
        var texts = new List<string>();
        long chars = 0;
        foreach (var corpus in new[] { Corpus.Brown(), Corpus.Udhr() })
            foreach (var doc in corpus.Split(recipe.ValidationFraction, recipe.Seed).Train.Documents)
            {
                if (chars > 2_000_000) break;
                texts.Add(doc.Text);
                chars += doc.Text.Length;
            }
        return BpeTokenizer.Create(BpeTrainer.Train(texts, recipe.BpeVocabSize));
    }

    /// <summary>The model being trained.</summary>
    internal DecoderModel Model => _model;

    TrainResult Loop(IProgress<TrainStep>? progress, CancellationToken cancel)
    {
        var wall = Stopwatch.StartNew();
        double peak = _options.PeakFlops ?? GemmPeak.Measure(_threads);
        double flopsPerToken = ModelCost.TrainingFlopsPerToken(_model.Config, _recipe.SeqLen);
        double unigram = UnigramEntropy(_mixture);
        int start = _step, total = _recipe.Steps, stop = Math.Min(total, _options.StopAfter ?? total);
        long tokensPerStep = (long)_recipe.BatchSize * _recipe.SeqLen;
        double trainSeconds = 0, lastLoss = double.NaN;
        EvaluationResult? lastEval = null;
        IReadOnlyList<LayerRouting> routing = [];
        using var metrics = new FileStream(Path.Combine(_dir, MetricsFile), FileMode.Append, FileAccess.Write, FileShare.Read);
        var line = new ArrayBufferWriter<byte>();

        while (_step < stop && !cancel.IsCancellationRequested)
        {
            int step = _step + 1;
            _options.BeforeStep?.Invoke(step, _model);
            long t0 = Stopwatch.GetTimestamp();
            TokenBatch batch = _batcher.Next();
            _schedule.Apply(_optimizer);
            double lr = _optimizer.LearningRate;
            _tape.Reset();
            _optimizer.ZeroGrad();
            _boundaries.Begin(_tape);
            _model.RoutingContext.Step = step; // schedules in routers (SMoE-Dropout's k) follow the step
            _model.RoutingContext.TotalSteps = total;
            SetSideIds(batch);
            Var loss = StepLoss(batch, out float ce);
            float lossValue = loss.Value[0];
            if (!float.IsFinite(lossValue)) throw DivergedInForward(step, lossValue);
            _tape.Backward(loss);
            double norm = _recipe.ClipNorm > 0 ? GradientClipping.ClipGlobalNorm(_parameters, _recipe.ClipNorm) : GradientClipping.GlobalNorm(_parameters);
            if (!double.IsFinite(norm)) throw DivergedInBackward(step, norm);
            _optimizer.Step();
            foreach (var (_, layer) in MoeLayers())
                foreach (var b in layer.Router.Balancers) b.AfterOptimizerStep();
            trainSeconds += Stopwatch.GetElapsedTime(t0).TotalSeconds;
            _step = step;
            lastLoss = ce;
            routing = Routing();

            double tokensPerSecond = (step - start) * tokensPerStep / Math.Max(trainSeconds, 1e-9);
            double mfu = tokensPerSecond * flopsPerToken / peak;
            bool evalNow = step == total || (_recipe.EvalInterval > 0 && step % _recipe.EvalInterval == 0);
            EvaluationResult? eval = evalNow ? Evaluate() : null;
            if (eval is not null) lastEval = eval;
            WriteMetrics(metrics, line, step, lossValue, ce, lr, norm, tokensPerSecond, mfu, wall.Elapsed.TotalSeconds, routing, eval);

            double perStep = wall.Elapsed.TotalSeconds / (step - start);
            progress?.Report(new TrainStep(step, total, ce, lr, tokensPerSecond, mfu, eval?.Loss, wall.Elapsed,
                TimeSpan.FromSeconds(perStep * (stop - step))));
            if (step == stop || step % _recipe.EffectiveCheckpointInterval == 0) Checkpoint();
        }
        if (_lastCheckpoint != _step) Checkpoint(); // cancelled: keep what was done

        double tps = (_step - start) * tokensPerStep / Math.Max(trainSeconds, 1e-9);
        var result = new TrainResult(_dir, _step, total, lastLoss, lastEval, unigram, tps, tps * flopsPerToken / peak, peak, flopsPerToken, routing, wall.Elapsed);
        WriteSummary(result);
        return result;
    }

    // One pass, or with a consistency loss two passes with independent routing draws (THOR):
    // ½(L₁ + L₂) + α/2·SymKL(p₁, p₂); ce is the mean of the two passes' cross-entropies.
    Var StepLoss(TokenBatch batch, out float ce)
    {
        Var loss = _model.Loss(_tape, batch.Inputs, batch.Targets, batch.LossMask, batch.BatchSize, batch.SequenceLength);
        ce = _model.LastCrossEntropy;
        if (_recipe.ConsistencyAlpha <= 0) return loss;
        Var first = _model.LastLogits!;
        Var second = _model.Loss(_tape, batch.Inputs, batch.Targets, batch.LossMask, batch.BatchSize, batch.SequenceLength);
        ce = 0.5f * (ce + _model.LastCrossEntropy);
        Var kl = ConsistencyLoss.SymmetricKl(_tape, first, _model.LastLogits!, batch.LossMask);
        return _tape.Add(_tape.Scale(_tape.Add(loss, second), 0.5f), _tape.Scale(kl, (float)(0.5 * _recipe.ConsistencyAlpha)));
    }

    // The batch's labels as the routers' side information (task, language, family, modality, role per token). Routers that
    // may only use an id in training (T2MIR's task ids, the language-family hybrid rule) check RoutingContext.Training.
    void SetSideIds(TokenBatch batch) => BatchSideIds.Apply(_model.RoutingContext, batch);

    // Every routed MoE layer with its decoder layer's index (a block may route more than once).
    IEnumerable<(int Index, MoeLayer Layer)> MoeLayers()
    {
        for (int i = 0; i < _model.Layers.Count; i++)
            foreach (MoeLayer m in _model.Layers[i].FeedForward.RoutedLayers) yield return (i, m);
    }

    IReadOnlyList<LayerRouting> Routing()
    {
        var list = new List<LayerRouting>();
        foreach (var (i, m) in MoeLayers())
        {
            var s = m.Statistics;
            var aux = new List<(string, float, float)>();
            foreach (var a in s.AuxLosses) aux.Add((a.Name, a.Value, a.Coefficient));
            list.Add(new LayerRouting(i, _model.Config.RouterFor(i) ?? "top-k", s.Load.ToArray(), s.LoadCv, s.DroppedFraction, s.Entropy, s.ExpertsPerItemMean, aux, m.FlopsPerToken)
            {
                ExpertsPerTokenMin = s.ExpertsPerItemMin, ExpertsPerTokenMax = s.ExpertsPerItemMax,
                ExpertsPerTokenHistogram = s.ExpertsPerItemHistogram.ToArray(), NullFraction = s.NullFraction,
            });
        }
        return list;
    }

    /// <summary>Evaluates <see cref="Recipe.EvalBatches"/> validation batches spread evenly over the validation split.</summary>
    internal EvaluationResult Evaluate()
    {
        _model.Training = false;
        var sink = _model.StatsSink;
        _model.StatsSink = null;
        try
        {
            var labels = _mixture.Labels;
            var eval = _mixture.Evaluation(_recipe.BatchSize, _recipe.SeqLen);
            // Spread the budget over every source in proportion to its validation size, at least one
            // batch each: a plain stride would skip the small last source (the synthetic tasks).
            var firstSource = new List<int>(eval.Batches);
            foreach (TokenBatch b in eval) firstSource.Add(b.Sources[0]);
            var perSource = firstSource.GroupBy(x => x).ToDictionary(g => g.Key, g => g.Count());
            var stride = perSource.ToDictionary(kv => kv.Key,
                kv => Math.Max(1, (int)Math.Ceiling(kv.Value / Math.Max(1.0, (double)_recipe.EvalBatches * kv.Value / firstSource.Count))));
            var seen = new Dictionary<int, int>();
            int rows = _recipe.BatchSize * _recipe.SeqLen;
            var targets = new int[rows];
            var losses = new float[rows];
            var src = new Acc(labels.Sources); var dom = new Acc(labels.Domains); var task = new Acc(labels.Tasks); var lang = new Acc(labels.Languages);
            double sum = 0; long count = 0;
            int index = 0;
            foreach (TokenBatch b in eval)
            {
                int source = firstSource[index++];
                int k = seen.GetValueOrDefault(source);
                seen[source] = k + 1;
                if (k % stride[source] != 0) continue;
                for (int i = 0; i < rows; i++) targets[i] = b.LossMask[i] != 0f ? b.Targets[i] : DecoderModel.IgnoreIndex;
                _evalTape.Reset();
                SetSideIds(b);
                _model.PerTokenLoss(_evalTape, b.Inputs, targets, b.BatchSize, b.SequenceLength, losses);
                for (int i = 0; i < rows; i++)
                {
                    if (targets[i] == DecoderModel.IgnoreIndex) continue;
                    double l = losses[i];
                    sum += l; count++;
                    src.Add(b.Sources[i], l); dom.Add(b.Domains[i], l); task.Add(b.Tasks[i], l); lang.Add(b.Languages[i], l);
                }
            }
            _evalTape.Reset();
            return new EvaluationResult(count == 0 ? double.NaN : sum / count, count, src.Result(), dom.Result(), task.Result(), lang.Result());
        }
        finally
        {
            _model.Training = true;
            _model.StatsSink = sink;
        }
    }

    sealed class Acc(IReadOnlyList<string> names)
    {
        readonly double[] _sum = new double[names.Count];
        readonly long[] _n = new long[names.Count];

        public void Add(int id, double loss)
        {
            if ((uint)id >= (uint)_sum.Length) return;
            _sum[id] += loss; _n[id]++;
        }

        public IReadOnlyList<GroupLoss> Result()
        {
            var list = new List<GroupLoss>();
            for (int i = 0; i < _sum.Length; i++)
                if (_n[i] > 0) list.Add(new GroupLoss(names[i], _sum[i] / _n[i], _n[i]));
            return list;
        }
    }

    /// <summary>Entropy (nats) of the mixture-weighted unigram distribution of the training split.</summary>
    internal static double UnigramEntropy(DataMixture mixture)
    {
        int vocab = mixture.Tokenizer.VocabSize;
        var p = new double[vocab];
        double wsum = mixture.Components.Sum(c => c.Weight);
        for (int s = 0; s < mixture.Components.Count; s++)
        {
            var counts = new long[vocab];
            int[] tokens = mixture.Train[s].Tokens;
            foreach (int t in tokens) counts[t]++;
            double w = mixture.Components[s].Weight / wsum / tokens.Length;
            for (int v = 0; v < vocab; v++) p[v] += w * counts[v];
        }
        double h = 0;
        foreach (double q in p) if (q > 0) h -= q * Math.Log(q);
        return h;
    }
}
