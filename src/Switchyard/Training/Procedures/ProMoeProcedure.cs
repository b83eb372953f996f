using Switchyard.Data;
using Switchyard.Experts;
using Switchyard.Routing.Pools;
using Switchyard.Routing.Scorers;

namespace Switchyard.Training.Procedures;

/// <summary>
/// The <c>promoe</c> reproduction procedure: trains the arms side by side and, after each run, measures expert
/// specialisation on up to <see cref="Batches"/> validation batches (shared/specs/token-routers.md §8 (d)):
/// <list type="bullet">
/// <item><c>mi_role</c>: mutual information (bits) between a token's first-choice expert and its role (the input token's
/// role: text, prompt, answer), mean over MoE layers;</item>
/// <item><c>mi_byte_class</c>: the same with the input byte's class (letter, digit, symbol, whitespace, other);</item>
/// <item><c>prototype_cosine</c>: mean cosine between the prototypes of the routed experts (for a linear router, between
/// its gate rows, the linear analogue of prototypes), mean over layers.</item>
/// </list>
/// </summary>
public sealed class ProMoeProcedure : IReproductionProcedure
{
    /// <summary>Validation batches measured per run (spread over the split).</summary>
    public const int Batches = 16;

    /// <summary>Number of byte classes of <see cref="ByteClass"/>.</summary>
    public const int ByteClasses = 5;

    /// <inheritdoc/>
    public IReadOnlyList<ComparisonRow> Run(Reproduction reproduction, IReadOnlyList<ComparisonArm> arms, int seeds, string directory,
        TrainOptions? options, Action<string, ulong, int, int>? started, IProgress<TrainStep>? progress, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(reproduction);
        return RouterComparison.Run(reproduction.Recipe, arms, seeds, directory, options, started, progress, cancel, (_, run, _) => Measure(run));
    }

    /// <summary>Measures one finished run (its recipe with directory and seed).</summary>
    public static IReadOnlyDictionary<string, double> Measure(Recipe run)
    {
        ArgumentNullException.ThrowIfNull(run);
        double[][]? role = null, bytes = null;
        MoeLayer[] layers = [];
        RunProbe.ForEachBatch(run, Batches, (model, b, _) =>
        {
            if (role is null)
            {
                var found = new List<MoeLayer>();
                for (int i = 0; i < model.Layers.Count; i++) found.AddRange(model.Layers[i].FeedForward.RoutedLayers);
                layers = [.. found];
                role = [.. layers.Select(l => new double[l.Plan.Experts * LabelSet.Roles.Count])];
                bytes = [.. layers.Select(l => new double[l.Plan.Experts * ByteClasses])];
            }
            int rows = b.Rows * b.SequenceLength;
            for (int l = 0; l < layers.Length; l++)
            {
                var plan = layers[l].Plan;
                int experts = plan.Experts;
                for (int i = 0; i < rows; i++)
                {
                    if (b.Roles[i] < 0 || plan.SelectedOffsets[i] == plan.SelectedOffsets[i + 1]) continue; // padding
                    int e = plan.SelectedExpert[plan.SelectedOffsets[i]];
                    role[l][e * LabelSet.Roles.Count + Math.Max(0, RunProbe.InputLabel(b.Roles, i, b.SequenceLength))]++;
                    bytes![l][e * ByteClasses + ByteClass(b.Inputs[i])]++;
                }
            }
        });
        if (role is null) return new Dictionary<string, double>();
        return new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["mi_role"] = role.Select(j => MutualInformation(j, LabelSet.Roles.Count)).Average(),
            ["mi_byte_class"] = bytes!.Select(j => MutualInformation(j, ByteClasses)).Average(),
            ["prototype_cosine"] = layers.Select(PrototypeCosine).Average(),
        };
    }

    /// <summary>Class of a byte token: 0 letter, 1 digit, 2 other printable ASCII (symbols), 3 whitespace, 4 anything else (EOS, non-ASCII).</summary>
    public static int ByteClass(int token) => token switch
    {
        >= 'a' and <= 'z' or >= 'A' and <= 'Z' => 0,
        >= '0' and <= '9' => 1,
        ' ' or '\n' or '\t' or '\r' => 3,
        > ' ' and < 127 => 2,
        _ => 4,
    };

    /// <summary>I(X; Y) in bits of a joint count table [X, Y] (row-major, <paramref name="columns"/> = |Y|).</summary>
    public static double MutualInformation(ReadOnlySpan<double> joint, int columns)
    {
        int rows = joint.Length / columns;
        double total = 0;
        foreach (double c in joint) total += c;
        if (total <= 0) return 0;
        var px = new double[rows];
        var py = new double[columns];
        for (int x = 0; x < rows; x++)
            for (int y = 0; y < columns; y++) { px[x] += joint[x * columns + y]; py[y] += joint[x * columns + y]; }
        double mi = 0;
        for (int x = 0; x < rows; x++)
            for (int y = 0; y < columns; y++)
            {
                double c = joint[x * columns + y];
                if (c > 0) mi += c / total * Math.Log2(c * total / (px[x] * py[y]));
            }
        return mi;
    }

    // Mean pairwise cosine of the routed experts' prototypes (ProMoE) or gate rows (linear / per-modality gates).
    static double PrototypeCosine(MoeLayer layer)
    {
        var (rows, experts, dim) = layer.Router.Scorer switch
        {
            PrototypeCosineScorer p => (p.Prototypes.Value.ToArray(), p.Experts - ((p.Pools as RoleSplitPools)?.Dedicated ?? 0), p.ModelDim),
            LinearScorer g => (g.Weight.Value.ToArray(), g.Experts, g.ModelDim),
            ModalityLinearScorer m => (m.Gate(0).Weight.Value.ToArray(), m.Experts, m.ModelDim),
            _ => (Array.Empty<float>(), 0, 0),
        };
        if (experts < 2) return double.NaN;
        double sum = 0;
        int pairs = 0;
        for (int a = 0; a < experts; a++)
            for (int b = a + 1; b < experts; b++, pairs++)
            {
                double dot = 0, na = 0, nb = 0;
                for (int k = 0; k < dim; k++)
                {
                    double x = rows[a * dim + k], y = rows[b * dim + k];
                    dot += x * y; na += x * x; nb += y * y;
                }
                sum += dot / Math.Sqrt(Math.Max(na * nb, 1e-30));
            }
        return sum / pairs;
    }
}
