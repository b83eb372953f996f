using Switchyard.Data;
using Switchyard.Data.Tokenizers;
using Switchyard.Models;

namespace Switchyard.Training.Adaptation;

/// <summary>
/// The test-time rerouting experiment (shared/specs/token-routers.md §17a (d); <c>"procedure": "test-time-rerouting"</c>):
/// trains the baseline arm's recipe (domain A, e.g. the <c>brown</c> mixture) once per seed, then evaluates that one
/// model under each arm's adaptation, named by the arm's label: <c>no-adaptation</c>, <c>rerouting</c> (δ only,
/// <see cref="AdaptationScope.Offsets"/>) and <c>router-finetune</c> (the routers' weights,
/// <see cref="AdaptationScope.Routers"/>). Texts: <see cref="Documents"/> held-out texts per domain, a
/// <see cref="PromptTokens"/>-token prompt then a <see cref="ContinuationTokens"/>-token continuation, teacher-forced.
/// Metrics per arm and seed: <c>continuation_loss</c> on domain B (UDHR languages, the shift), <c>continuation_loss_a</c>
/// on held-out domain-A text (nats/token; lower is better).
/// </summary>
internal sealed class TestTimeReroutingProcedure : IReproductionProcedure
{
    /// <summary>Prompt length in tokens (spec: 256 bytes).</summary>
    public const int PromptTokens = 256;

    /// <summary>Teacher-forced continuation length in tokens (spec: 256 bytes).</summary>
    public const int ContinuationTokens = 256;

    /// <summary>Held-out texts per domain.</summary>
    public const int Documents = 6;

    /// <summary>The arm labels this procedure knows, and the adaptation each stands for (null = none).</summary>
    public static IReadOnlyDictionary<string, AdaptationScope?> Modes { get; } = new Dictionary<string, AdaptationScope?>(StringComparer.Ordinal)
    {
        ["no-adaptation"] = null,
        ["rerouting"] = AdaptationScope.Offsets,
        ["router-finetune"] = AdaptationScope.Routers,
    };

    public IReadOnlyList<ComparisonRow> Run(Reproduction reproduction, IReadOnlyList<ComparisonArm> arms, int seeds, string directory,
        TrainOptions? options, Action<string, ulong, int, int>? started, IProgress<TrainStep>? progress, CancellationToken cancel)
    {
        foreach (ComparisonArm arm in arms)
            if (!Modes.ContainsKey(arm.Label))
                throw new InvalidRecipeException(reproduction.Name, 0, $"procedure 'test-time-rerouting': arm label '{arm.Label}' is not an adaptation (valid labels: {string.Join(", ", Modes.Keys)})");
        ComparisonArm trained = arms[1]; // the baseline's recipe: one model per seed, evaluated under every arm's adaptation
        if (trained.Recipe.Tokenizer != "byte")
            throw new InvalidRecipeException(reproduction.Name, 0, $"procedure 'test-time-rerouting' measures byte-level text; the recipe's tokenizer is '{trained.Recipe.Tokenizer}' (valid: byte)");
        IReadOnlyList<ComparisonRow> rows = RouterComparison.Run(reproduction.Recipe, [trained], seeds, directory, options, started, progress, cancel,
            (arm, run, result) => Measure(arms, run, result));
        if (rows.Count == 0) return [];
        ComparisonRow row = rows[0];
        return [.. arms.Select(a => row with
        {
            Router = a.Label,
            Metrics = new Dictionary<string, IReadOnlyList<double>>(StringComparer.Ordinal)
            {
                ["continuation_loss"] = row.Metrics[a.Label + "/b"],
                ["continuation_loss_a"] = row.Metrics[a.Label + "/a"],
            },
        })];
    }

    // Every arm's adaptation on the same trained model, both domains: "label/b" and "label/a" per seed.
    static IReadOnlyDictionary<string, double> Measure(IReadOnlyList<ComparisonArm> arms, Recipe run, TrainResult result)
    {
        DecoderModel model = DecoderModel.FromPretrained(result.RunDirectory, MoeFeedForward.Factory);
        int[][] a = Texts(Corpus.Brown().Split(run.ValidationFraction, run.Seed).Validation, byLanguage: false);
        int[][] b = Texts(Corpus.Udhr().Split(run.ValidationFraction, run.Seed).Validation, byLanguage: true);
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (ComparisonArm arm in arms)
        {
            AdaptationScope? scope = Modes[arm.Label];
            var adapter = scope is { } s ? new TestTimeAdapter(model, new TestTimeAdapterOptions { Scope = s }) : null;
            metrics[arm.Label + "/a"] = MeanLoss(model, adapter, a);
            metrics[arm.Label + "/b"] = MeanLoss(model, adapter, b);
        }
        return metrics;
    }

    static double MeanLoss(DecoderModel model, TestTimeAdapter? adapter, int[][] texts)
    {
        double sum = 0;
        var losses = new float[ContinuationTokens];
        var tape = new Autograd.Tape();
        foreach (int[] text in texts)
        {
            ReadOnlySpan<int> prompt = text.AsSpan(0, PromptTokens), continuation = text.AsSpan(PromptTokens, ContinuationTokens);
            if (adapter is not null)
            {
                sum += adapter.Score(prompt, continuation, losses);
                adapter.Reset();
                continue;
            }
            int n = PromptTokens + ContinuationTokens - 1;
            var targets = new int[n];
            Array.Fill(targets, DecoderModel.IgnoreIndex);
            for (int t = PromptTokens - 1; t < n; t++) targets[t] = text[t + 1];
            var all = new float[n];
            model.PerTokenLoss(tape, text.AsSpan(0, n), targets, 1, n, all);
            tape.Reset();
            double s = 0;
            for (int t = PromptTokens - 1; t < n; t++) s += all[t];
            sum += s / ContinuationTokens;
        }
        return sum / texts.Length;
    }

    // Up to Documents texts of PromptTokens + ContinuationTokens bytes, spread evenly over the held-out part: UDHR articles
    // joined per language (an article alone is often shorter), Brown documents as they are.
    static int[][] Texts(Corpus validation, bool byLanguage)
    {
        int need = PromptTokens + ContinuationTokens;
        IEnumerable<string> candidates = byLanguage
            ? validation.Documents.GroupBy(d => d.Domain ?? "").OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => string.Join("\n\n", g.Select(d => d.Text)))
            : validation.Documents.Select(d => d.Text);
        int[][] all = [.. candidates.Select(ByteTokenizer.Instance.Encode).Where(ids => ids.Length >= need).Select(ids => ids[..need])];
        if (all.Length == 0) throw new InvalidRecipeException(validation.Name, 0, $"no held-out text of {need} tokens for the rerouting evaluation");
        int count = Math.Min(Documents, all.Length);
        return [.. Enumerable.Range(0, count).Select(i => all[i * all.Length / count])];
    }
}
