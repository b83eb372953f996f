namespace Switchyard.Routing;

/// <summary>What one random expert draw covers (<see cref="Selectors.RandomSelector"/>).</summary>
public enum RandomGranularity
{
    /// <summary>Each item draws its own expert (THOR's inference level 0).</summary>
    Token,

    /// <summary>Each sequence of <see cref="RoutingContext.SequenceLength"/> items draws one expert (THOR's inference level 1).</summary>
    Sequence,

    /// <summary>The whole call (every item of the batch, this layer, this pass) draws one expert: THOR's training in the reference code.</summary>
    Batch,
}
