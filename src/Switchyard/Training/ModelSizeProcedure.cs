using Switchyard.Experts;
using Switchyard.Models;

namespace Switchyard.Training;

/// <summary>
/// Reproduction procedure <c>model-size</c>: trains the arms side by side (<see cref="RouterComparison"/>) and
/// records, per run, what a claim about parameters or memory needs (MoFME: "at a fraction of the parameters";
/// MoTE: "at equal expert memory"), read from the run's saved model:
/// <list type="bullet">
/// <item><c>parameters</c>: all parameters of the model;</item>
/// <item><c>ffn_parameters</c>: parameters of the feed-forward blocks (dense FFNs, or MoE blocks with router, experts,
/// shared experts and trunks);</item>
/// <item><c>expert_bytes</c>: storage of the routed experts of the MoE layers, float32 at 4 bytes per weight, ternary
/// at <see cref="TernaryExperts.BitsPerWeight"/> bits per weight plus a float32 scale per matrix
/// (<see cref="TernaryExperts.StorageBytes"/>), FiLM pairs at 4 bytes per entry (their trunk not included);</item>
/// <item><c>film_gamma_variance</c> (models with FiLM experts): mean over layers of <see cref="FilmExperts.GammaVariance"/>,
/// the spread of the modulations across experts (0 = every expert the same).</item>
/// </list>
/// </summary>
public sealed class ModelSizeProcedure : IReproductionProcedure
{
    /// <summary>The procedure's name in reproduction files.</summary>
    public const string Name = "model-size";

    /// <inheritdoc/>
    public IReadOnlyList<ComparisonRow> Run(Reproduction reproduction, IReadOnlyList<ComparisonArm> arms, int seeds, string directory,
        TrainOptions? options, Action<string, ulong, int, int>? started, IProgress<TrainStep>? progress, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(reproduction);
        return RouterComparison.Run(reproduction.Recipe, arms, seeds, directory, options, started, progress, cancel,
            (_, _, result) => Measure(DecoderModel.FromPretrained(result.RunDirectory, MoeFeedForward.Factory)));
    }

    /// <summary>The metrics above for <paramref name="model"/>.</summary>
    public static IReadOnlyDictionary<string, double> Measure(DecoderModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        double ffn = 0, bytes = 0, gamma = 0;
        int films = 0;
        for (int i = 0; i < model.Layers.Count; i++)
        {
            FeedForwardBlock block = model.Layers[i].FeedForward;
            ffn += block.ParameterCount();
            foreach (MoeLayer moe in block.RoutedLayers)
            {
                switch (moe.Experts)
                {
                    case TernaryExperts t: bytes += t.StorageBytes; break;
                    case FilmExperts f:
                        bytes += 4.0 * (f.Gamma.Value.Length + f.Beta.Value.Length);
                        gamma += f.GammaVariance();
                        films++;
                        break;
                    case Nn.Module m: bytes += 4.0 * m.ParameterCount(); break;
                }
            }
        }
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["parameters"] = model.ParameterCount(),
            ["ffn_parameters"] = ffn,
            ["expert_bytes"] = bytes,
        };
        if (films > 0) metrics["film_gamma_variance"] = gamma / films;
        return metrics;
    }
}
