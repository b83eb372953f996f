using System.Text.Json;
using Switchyard.Autograd;
using Switchyard.Data;
using Switchyard.Data.Tokenizers;
using Switchyard.Tensors;

namespace Switchyard.Models;

/// <summary>
/// Read-ME's expert extraction by activation sparsity (arXiv 2410.19123, reference scripts; shared/specs/token-routers.md
/// §15), the <c>extract-experts</c> conversion: for each calibration domain d, the mean |activation| of every FFN hidden
/// unit (|silu(W_gate·x) ∘ W_up·x|, the input of W_down) over that domain's tokens; the top <c>keep_rate</c> of the units
/// form the mask M_d; the shared slice is R = ∩_d M_d (always on) and expert d is M_d − R (experts may overlap outside
/// R). The domains are the sources of a data mixture (default <c>bundled</c>: Brown, UDHR, synthetic tasks), so
/// E = the number of sources. Weights are not copied per expert: the target's <see cref="ReadMeFeedForward"/> keeps the
/// dense FFN and the masks index it; everything else is copied by name, the routers keep their fresh initialisation.
/// </summary>
/// <remarks>
/// Calibration uses the first <c>tokens</c> training tokens of each source, cut into windows of <c>seq</c>, tokenised
/// with the byte tokenizer (a BPE source model is refused). Reading the data here is the one place the Models layer
/// reaches into Data: a conversion has no other way to its calibration sets.
/// </remarks>
public static class ExpertExtraction
{
    /// <summary>The conversion's name in <see cref="ModelConversions"/> and recipes.</summary>
    public const string Name = "extract-experts";

    static readonly (string, string)[] s_options =
    [
        ("mixture", "data mixture whose sources are the calibration domains (default \"bundled\")"),
        ("tokens", "integer ≥ 1, calibration tokens per domain (default 16384)"),
        ("seq", "integer ≥ 2, tokens per calibration window (default 128)"),
        ("keep_rate", "number in (0, 1], share of units each domain keeps (default 0.5)"),
    ];

    /// <summary>Converts dense <paramref name="source"/> into <paramref name="target"/>, whose MoE layers are <see cref="ReadMeFeedForward"/> blocks.</summary>
    /// <exception cref="InvalidConfigException">Bad options, or models that do not fit (the message names the layer).</exception>
    public static void Convert(DecoderModel source, DecoderModel target, JsonElement? options, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(rng);
        var o = new ConversionOptions(Name, options, s_options);
        string mixtureName = o.Text("mixture", MixtureCatalog.Default);
        int tokens = o.Int("tokens", 16384, 1), seq = o.Int("seq", 128, 2);
        double keep = o.Number("keep_rate", 0.5, 0, 1, minExclusive: true);
        if (!MixtureCatalog.Names.Contains(mixtureName)) throw o.Bad("init.options.mixture", $"one of {string.Join(", ", MixtureCatalog.Names)}", $"\"{mixtureName}\"");
        if (source.Config.VocabSize < ByteTokenizer.Instance.VocabSize) throw o.Bad("init", "a byte-tokenizer source model", $"vocab_size {source.Config.VocabSize}");
        DataMixture mixture = MixtureCatalog.Build(mixtureName, ByteTokenizer.Instance, 0, 0.1);
        var domains = new List<int[]>();
        foreach (var stream in mixture.Train) domains.Add(stream.Tokens.AsSpan(0, Math.Min(tokens, stream.Tokens.Length)).ToArray());
        if (source.Layers.Count != target.Layers.Count) throw o.Bad("init", $"a source with the target's {target.Layers.Count} layers", $"{source.Layers.Count}");
        var blocks = new List<(int Layer, DenseFeedForward Dense, ReadMeFeedForward Block)>();
        for (int i = 0; i < target.Layers.Count; i++)
        {
            if (target.Layers[i].FeedForward is not ReadMeFeedForward block) continue;
            if (source.Layers[i].FeedForward is not DenseFeedForward dense)
                throw o.Bad($"init (layer {i})", "a dense FFN in the source where the target has a read-me block", source.Layers[i].FeedForward.GetType().Name);
            if (dense.IntermediateSize != block.Slices.Width || dense.HiddenSize != block.HiddenSize)
                throw o.Bad($"init (layer {i})", $"a dense FFN of width {block.Slices.Width} (the block's)", $"{dense.IntermediateSize}");
            if (block.Slices.Experts != domains.Count)
                throw o.Bad($"init (layer {i})", $"{domains.Count} experts, one per source of mixture \"{mixtureName}\"", $"{block.Slices.Experts}");
            blocks.Add((i, dense, block));
        }
        if (blocks.Count == 0) throw o.Bad("init", $"a target model with {ReadMeFeedForward.Name} blocks (switchyard.block)", "none");
        ModelConversions.CopyByName(source, target, null, rng);
        double[][][] importance = Importance(source, domains, seq);
        foreach (var (layer, dense, block) in blocks)
        {
            Copy(dense.GateProj, block.GateProj);
            Copy(dense.UpProj, block.UpProj);
            Copy(dense.DownProj, block.DownProj);
            WriteMasks(Masks(importance[layer], keep), block.Slices.Masks.Value.Span);
        }
    }

    /// <summary>
    /// Mean |activation| of every hidden unit of every dense layer, per domain: [layer][domain][unit] (layers without a
    /// dense FFN get an empty array). Each domain's tokens are run in windows of <paramref name="seq"/>.
    /// </summary>
    public static double[][][] Importance(DecoderModel model, IReadOnlyList<int[]> domains, int seq)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(domains);
        ArgumentOutOfRangeException.ThrowIfLessThan(seq, 1);
        int layers = model.Layers.Count;
        var recorders = new Recorder?[layers];
        var result = new double[layers][][];
        for (int i = 0; i < layers; i++)
        {
            result[i] = [];
            if (model.Layers[i].FeedForward is not DenseFeedForward dense) continue;
            recorders[i] = new Recorder(dense);
            result[i] = new double[domains.Count][];
            model.Layers[i].ReplaceChild(model.Layers[i].FeedForwardName, recorders[i]!);
        }
        bool training = model.Training;
        model.Training = false;
        var tape = new Tape();
        try
        {
            for (int d = 0; d < domains.Count; d++)
            {
                foreach (Recorder? r in recorders) r?.Start();
                int[] ids = domains[d];
                for (int at = 0; at < ids.Length; at += seq)
                {
                    int len = Math.Min(seq, ids.Length - at);
                    tape.Reset();
                    using (tape.NoGrad()) model.Forward(tape, ids.AsSpan(at, len), 1, len);
                }
                for (int i = 0; i < layers; i++)
                    if (recorders[i] is { } r) result[i][d] = r.Mean();
            }
        }
        finally
        {
            tape.Reset();
            model.Training = training;
            for (int i = 0; i < layers; i++)
                if (recorders[i] is { } r) model.Layers[i].ReplaceChild(model.Layers[i].FeedForwardName, r.Inner);
        }
        return result;
    }

    /// <summary>
    /// The masks of one layer from its per-domain importance [domain][unit]: M_d = the ⌈keep·D_h⌉ most important units
    /// of domain d (ties: lower unit); returns [D + 1][D_h] with rows 0..D−1 the experts M_d − R and row D the shared R = ∩ M_d.
    /// </summary>
    public static bool[][] Masks(double[][] importance, double keepRate)
    {
        ArgumentNullException.ThrowIfNull(importance);
        if (importance.Length == 0) throw new ArgumentException("no domain", nameof(importance));
        int width = importance[0].Length, keep = Math.Max(1, (int)Math.Ceiling(keepRate * width));
        var kept = new bool[importance.Length][];
        for (int d = 0; d < importance.Length; d++)
        {
            kept[d] = new bool[width];
            double[] a = importance[d];
            foreach (int j in Enumerable.Range(0, width).OrderByDescending(j => a[j]).ThenBy(j => j).Take(keep)) kept[d][j] = true;
        }
        var masks = new bool[importance.Length + 1][];
        masks[^1] = new bool[width];
        for (int j = 0; j < width; j++) masks[^1][j] = kept.All(k => k[j]);
        for (int d = 0; d < importance.Length; d++)
        {
            masks[d] = new bool[width];
            for (int j = 0; j < width; j++) masks[d][j] = kept[d][j] && !masks[^1][j];
        }
        return masks;
    }

    static void WriteMasks(bool[][] masks, Span<float> into)
    {
        int width = masks[0].Length;
        for (int r = 0; r < masks.Length; r++)
            for (int j = 0; j < width; j++) into[r * width + j] = masks[r][j] ? 1f : 0f;
    }

    static void Copy(Nn.ILinearLayer from, Nn.Layers.Linear to)
    {
        if (from is not Nn.Layers.Linear l) throw new InvalidConfigException(null, "init", "a source FFN of plain linear layers", from.GetType().Name);
        l.Weight.Value.Span.CopyTo(to.Weight.Value.Span);
    }

    // Stands in for a dense FFN while calibrating: computes it as usual and sums |h| per hidden unit.
    sealed class Recorder(DenseFeedForward inner) : FeedForwardBlock
    {
        double[] _sum = [];
        long _rows;

        public DenseFeedForward Inner => inner;

        public override int HiddenSize => inner.HiddenSize;

        public void Start()
        {
            _sum = new double[inner.IntermediateSize];
            _rows = 0;
        }

        public double[] Mean() => [.. _sum.Select(s => _rows == 0 ? 0 : s / _rows)];

        public override Var Forward(Tape tape, Var x, in LayerContext context)
        {
            Var h = tape.SwiGlu(inner.GateProj.Forward(tape, x), inner.UpProj.Forward(tape, x));
            ReadOnlySpan<float> v = h.Value.Span;
            int width = inner.IntermediateSize, rows = v.Length / width;
            for (int r = 0; r < rows; r++)
                for (int j = 0; j < width; j++) _sum[j] += Math.Abs(v[r * width + j]);
            _rows += rows;
            return inner.DownProj.Forward(tape, h);
        }
    }
}
