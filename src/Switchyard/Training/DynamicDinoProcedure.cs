using System.Globalization;
using Switchyard.Analysis;
using Switchyard.Models;

namespace Switchyard.Training;

/// <summary>
/// The <c>dynamic-dino</c> reproduction procedure (shared/specs/token-routers.md §18a): trains the arms side by side
/// (a dense pre-training arm first, then the arms that start from it) and measures, per seed, what the claim is about
/// besides the final loss: <c>start_loss</c>, the validation loss of a converted arm before its first update
/// (<see cref="Trainer.EvaluateStart"/>); <c>conversion_jump</c> = start_loss − the final validation loss of the run it
/// was converted from (0 for a function-preserving conversion); and, for MoE arms, the expert co-activation of the
/// final model on validation batches, per layer: <c>partner_entropy_l{i}</c> and <c>pair_entropy_l{i}</c>
/// (<see cref="CoActivationGraph"/>).
/// </summary>
public sealed class DynamicDinoProcedure : IReproductionProcedure
{
    /// <summary>Validation batches the co-activation graphs are counted on.</summary>
    public const int ProbeBatches = 4;

    /// <inheritdoc/>
    public IReadOnlyList<ComparisonRow> Run(Reproduction reproduction, IReadOnlyList<ComparisonArm> arms, int seeds, string directory,
        TrainOptions? options, Action<string, ulong, int, int>? started, IProgress<TrainStep>? progress, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(reproduction);
        var finals = new Dictionary<string, double>(StringComparer.Ordinal);
        return RouterComparison.Run(reproduction.Recipe, arms, seeds, directory, options, started, progress, cancel, (arm, run, result) =>
        {
            var m = new Dictionary<string, double>(StringComparer.Ordinal);
            if (run.Init is { } init)
            {
                double start = Trainer.EvaluateStart(run).Loss;
                m["start_loss"] = start;
                if (finals.TryGetValue(Path.GetFullPath(init.From), out double source)) m["conversion_jump"] = start - source;
            }
            finals[Path.GetFullPath(result.RunDirectory)] = result.Validation?.Loss ?? double.NaN;
            if (run.ResolvedModel().IsMoe)
                foreach (var (layer, graph) in CoActivation(result.RunDirectory, run))
                {
                    string l = layer.ToString(CultureInfo.InvariantCulture);
                    m["partner_entropy_l" + l] = graph.MeanPartnerEntropy();
                    m["pair_entropy_l" + l] = graph.PairEntropy();
                }
            return m;
        });
    }

    /// <summary>The co-activation graph of every routed layer of the model saved in <paramref name="runDirectory"/>, over <see cref="ProbeBatches"/> validation batches of <paramref name="recipe"/>.</summary>
    public static IReadOnlyList<(int Layer, CoActivationGraph Graph)> CoActivation(string runDirectory, Recipe recipe)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        DecoderModel model = DecoderModel.FromPretrained(runDirectory, MoeFeedForward.Factory);
        var graphs = new SortedDictionary<int, CoActivationGraph>();
        RoutingProbe.Run(model, recipe, ProbeBatches, (_, layer, moe) =>
        {
            if (!graphs.TryGetValue(layer, out var g)) graphs[layer] = g = new CoActivationGraph(moe.Plan.Experts);
            g.Add(moe.Plan);
        }, runDirectory);
        return [.. graphs.Select(kv => (kv.Key, kv.Value))];
    }
}
