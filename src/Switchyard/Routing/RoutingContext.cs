using Switchyard.Tensors;

namespace Switchyard.Routing;

/// <summary>
/// What a router may know about the items besides their features: token ids, positions,
/// sequence layout, layer, training flag, the random source, and (for methods that need
/// them) side ids, cross-layer state and forced-routing overrides. One mutable object is
/// reused across layers and steps (set the fields per call), so routing allocates nothing.
/// Items are the rows of the flattened batch [B·T].
/// </summary>
public sealed class RoutingContext
{
    /// <summary>Creates a context whose random source is <paramref name="rng"/> (jitter, noise).</summary>
    public RoutingContext(Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        Rng = rng;
    }

    /// <summary>Token id of each item, [N] (hash routing needs it); empty when unknown.</summary>
    public ReadOnlyMemory<int> TokenIds { get; set; }

    /// <summary>Position of each item inside its sequence, [N]; empty when unknown.</summary>
    public ReadOnlyMemory<int> Positions { get; set; }

    /// <summary>Tokens per sequence T (items are B sequences of T, contiguous); 0 = the whole batch is one sequence.</summary>
    public int SequenceLength { get; set; }

    /// <summary>Index of the MoE layer being routed.</summary>
    public int Layer { get; set; }

    /// <summary>
    /// The trainer's optimizer step (1-based) being taken, or the last one taken while evaluating; 0 outside
    /// training. Step-dependent routing (<see cref="ISchedule{T}"/>, e.g. SMoE-Dropout's growing k) reads it.
    /// </summary>
    public long Step { get; set; }

    /// <summary>Total steps of the training run (schedules that span the run use it); 0 when unknown.</summary>
    public long TotalSteps { get; set; }

    /// <summary>Whether this is a training step: noise and jitter apply, bias balancers count load.</summary>
    public bool Training { get; set; }

    /// <summary>The random source for training-time noise (deterministic for a seed).</summary>
    public Rng Rng { get; set; }

    /// <summary>Task id per item, [N] (task-aware routers; training only); empty when unused.</summary>
    public ReadOnlyMemory<int> TaskIds { get; set; }

    /// <summary>Modality id per item, [N]; empty when unused.</summary>
    public ReadOnlyMemory<int> ModalityIds { get; set; }

    /// <summary>Language (or language-family) id per item, [N]; empty when unused.</summary>
    public ReadOnlyMemory<int> LanguageIds { get; set; }

    /// <summary>
    /// Language-family id per item, [N] (index into the data's sorted family names; -1 when none): the group a
    /// language-family router forces in training (ApolloMoE's hybrid routing); empty when unused.
    /// </summary>
    public ReadOnlyMemory<int> LanguageFamilyIds { get; set; }

    /// <summary>Role of each token (e.g. prompt/answer/special), [N]; empty when unused.</summary>
    public ReadOnlyMemory<int> TokenRoles { get; set; }

    /// <summary>State carried across the layers of one forward pass, or null.</summary>
    public RouterState? State { get; set; }

    /// <summary>Forced routing applied after selection, or null.</summary>
    public IRoutingOverride? Override { get; set; }

    /// <summary>Clears every side id (task, language, family, modality, role): what an inference-like pass sees.</summary>
    public void ClearSideIds()
    {
        TaskIds = LanguageIds = LanguageFamilyIds = ModalityIds = TokenRoles = default;
    }

    /// <summary>Number of sequences for <paramref name="items"/> items (1 when <see cref="SequenceLength"/> is 0).</summary>
    /// <exception cref="ArgumentException">items is not a multiple of the sequence length.</exception>
    public int Sequences(int items)
    {
        if (SequenceLength <= 0) return 1;
        if (items % SequenceLength != 0)
            throw new ArgumentException($"{items} items are not whole sequences of {SequenceLength} tokens", nameof(items));
        return items / SequenceLength;
    }
}
