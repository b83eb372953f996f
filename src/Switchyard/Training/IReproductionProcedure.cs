namespace Switchyard.Training;

/// <summary>
/// How a reproduction runs its arms when training them side by side is not the whole experiment: e.g. it
/// measures something after each run (routing fluctuation, purity) or evaluates under a shift. Named by
/// <c>"procedure"</c> in the reproduction file and registered in <see cref="ReproductionProcedures"/>.
/// </summary>
public interface IReproductionProcedure
{
    /// <summary>
    /// Trains and measures every arm × <paramref name="seeds"/> into <paramref name="directory"/> (usually
    /// <see cref="RouterComparison.Run(Recipe, IReadOnlyList{ComparisonArm}, int, string, TrainOptions?, Action{string, ulong, int, int}?, IProgress{TrainStep}?, CancellationToken, RouterComparison.RunMeasure?)"/>
    /// with a measure) and returns one row per arm, in the arms' order.
    /// </summary>
    IReadOnlyList<ComparisonRow> Run(Reproduction reproduction, IReadOnlyList<ComparisonArm> arms, int seeds, string directory,
        TrainOptions? options, Action<string, ulong, int, int>? started, IProgress<TrainStep>? progress, CancellationToken cancel);
}
