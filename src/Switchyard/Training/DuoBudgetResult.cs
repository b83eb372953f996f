namespace Switchyard.Training;

/// <summary>One budget's results of a <see cref="DuoOracle"/> analysis, mean losses (nats/token) over the probed tokens.</summary>
/// <param name="Budget">B: layers run big per token (the others small).</param>
/// <param name="Exhaustive">Whether the oracle searched all C(L, B) patterns (else greedily, one layer at a time).</param>
/// <param name="Oracle">Mean over tokens of the best pattern's loss, each token evaluated with every other token on the reference (all small).</param>
/// <param name="OracleJoint">Every token on its own oracle pattern in one pass (coupling through attention included; tokens with a masked target, never probed, stay all small); NaN unless every position was probed.</param>
/// <param name="BestRandom">The best (lowest mean loss) of the random patterns with exactly B big layers per token.</param>
/// <param name="MeanRandom">The random patterns' mean loss.</param>
/// <param name="Difficulty">Mean D_t = loss_t(all small) − loss_t(oracle B): what B big layers can buy a token.</param>
/// <param name="BigLayerShare">Per layer, the share of tokens whose oracle pattern runs that layer big.</param>
public sealed record DuoBudgetResult(int Budget, bool Exhaustive, double Oracle, double OracleJoint, double BestRandom, double MeanRandom,
    double Difficulty, IReadOnlyList<double> BigLayerShare);
