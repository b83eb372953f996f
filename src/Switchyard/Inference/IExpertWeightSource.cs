namespace Switchyard.Inference;

/// <summary>
/// Where inference gets routed experts' weights: all resident, or streamed from the checkpoint into a
/// bounded pool (expert offloading). The engine computes every row routed to an expert before asking
/// for the next, so a source needs room for one expert at a time.
/// </summary>
public interface IExpertWeightSource
{
    /// <summary>
    /// The weights of <paramref name="expert"/> in MoE layer <paramref name="layer"/> (decoder layer index).
    /// Valid until the next call of <see cref="Get"/> on this source.
    /// </summary>
    ExpertWeights Get(int layer, int expert);
}
