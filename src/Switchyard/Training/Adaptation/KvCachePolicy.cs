namespace Switchyard.Training.Adaptation;

/// <summary>What happens to the states of tokens already processed when test-time rerouting changes δ (shared/specs/token-routers.md §17a (e)).</summary>
public enum KvCachePolicy
{
    /// <summary>Invalidate the cache: every token of the context is routed again with the new δ (what a full recomputation gives).</summary>
    Recompute,

    /// <summary>
    /// Keep the cache: tokens already processed keep the routing of the δ in effect when they were computed (δ = 0 for the
    /// prompt's prefill); only the last context token is re-run, so the new δ already shapes the next prediction.
    /// </summary>
    Stale,
}
