namespace Switchyard.Routing.Balancers;

/// <summary>How f_i, the load term of the Switch/GShard loss, is normalised (shared/specs/baselines.md §2).</summary>
public enum LoadBalanceConvention
{
    /// <summary>f_i = fraction of the selected assignments that chose expert i (Σ f = 1; 1/(k·T) for fixed k). At perfect balance L = α.</summary>
    Switch,

    /// <summary>f_i = fraction of tokens that chose expert i, without the 1/k (Σ f = k), as Hugging Face Mixtral. At perfect balance L = k·α.</summary>
    Mixtral,
}
