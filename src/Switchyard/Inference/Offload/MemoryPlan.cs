namespace Switchyard.Inference;

/// <summary>
/// What to keep in memory and what to stream when running a checkpoint within a memory budget, and the
/// decode speed to expect. Everything but the routed experts stays resident, with the float32 KV cache for
/// the context; the rest of the budget becomes the expert pool (<see cref="StreamingExpertSource"/>), counted
/// per MoE layer as an even split.
/// </summary>
/// <remarks>
/// <para>Speed model, per decoded token at the end of the context:
/// time = <see cref="ActiveBytesPerToken"/> / memory bandwidth + <see cref="MissedBytesPerToken"/> / file bandwidth,
/// where active bytes are every weight the token multiplies (attention, routers, shared experts, dense MLPs, k
/// routed experts per MoE layer, lm_head, one embedding row) plus the whole KV cache it attends over, and missed
/// bytes are k · (1 − hit rate) · expert bytes per MoE layer.</para>
/// <para>The hit rate assumes uniform routing: each layer's expected hit rate is the fraction of its experts
/// resident. Real routers are skewed and temporally local, so LRU/LFU usually do better; the statistics of a
/// <see cref="StreamingExpertSource"/> and <see cref="CacheSimulator"/> replays give the measured figure.</para>
/// <para>Compute, activations, the tokenizer and runtime overhead are not in the model or the budget.</para>
/// </remarks>
public sealed record MemoryPlan
{
    /// <summary>Plans <paramref name="model"/> in <paramref name="budgetBytes"/> at <paramref name="context"/> positions.</summary>
    /// <param name="model">The checkpoint's footprint.</param>
    /// <param name="budgetBytes">All the memory the model may use: resident weights, KV cache and expert pool.</param>
    /// <param name="context">Positions the KV cache holds.</param>
    /// <param name="memoryGBps">Memory read bandwidth, GB/s (<see cref="BandwidthProbe.MeasureMemoryReadGBps"/>).</param>
    /// <param name="fileGBps">Checkpoint read bandwidth, GB/s (<see cref="BandwidthProbe.MeasureFileRead"/>).</param>
    public static MemoryPlan Create(ModelFootprint model, long budgetBytes, int context, double memoryGBps, double fileGBps)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfNegative(budgetBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(context);
        if (!(memoryGBps > 0) || !(fileGBps > 0))
            throw new ArgumentOutOfRangeException(nameof(memoryGBps), $"bandwidths must be positive, got memory {memoryGBps} and file {fileGBps} GB/s");
        long fixedBytes = model.NonExpertBytes, kv = model.KvCacheBytes(context), slotBytes = model.LargestExpertBytes;
        int experts = model.ExpertCount;
        // One slot is the least a streaming pool can work with; with no experts there is nothing to stream.
        long minimum = fixedBytes + kv + (experts > 0 ? slotBytes : 0);
        bool fits = budgetBytes >= minimum;
        int slots = !fits || experts == 0 ? 0 : (int)Math.Min((budgetBytes - fixedBytes - kv) / slotBytes, experts);

        // Spread the slots evenly: one per MoE layer in turn while a layer has experts left to hold.
        List<LayerFootprint> moe = [.. model.Layers.Where(l => l.IsMoe)];
        int[] resident = new int[moe.Count];
        for (int left = slots; left > 0;)
            for (int i = 0; i < moe.Count && left > 0; i++)
                if (resident[i] < moe[i].Experts) { resident[i]++; left--; }
        var layers = moe.Select((l, i) => new LayerPlan(l.Layer, l.Experts, resident[i], l.ExpertBytes)).ToList();

        int k = model.ExpertsPerToken;
        double missed = layers.Sum(l => k * (1 - l.ExpectedHitRate) * l.ExpertBytes);
        long head = model.TiedEmbeddings ? model.EmbeddingBytes : model.LmHeadBytes;
        long embeddingRow = model.VocabSize > 0 ? model.EmbeddingBytes / model.VocabSize : 0;
        long weights = model.Layers.Sum(l => l.NonExpertBytes + (long)k * l.ExpertBytes * (l.IsMoe ? 1 : 0))
            + head + embeddingRow + model.OtherBytes;
        double seconds = (weights + kv) / (memoryGBps * 1e9) + missed / (fileGBps * 1e9);
        return new MemoryPlan
        {
            Model = model,
            BudgetBytes = budgetBytes,
            Context = context,
            MemoryGBps = memoryGBps,
            FileGBps = fileGBps,
            Fits = fits,
            MinimumBytes = minimum,
            KvCacheBytes = kv,
            ExpertSlots = slots,
            ExpertSlotBytes = slotBytes,
            Layers = layers,
            ActiveWeightBytesPerToken = weights,
            MissedBytesPerToken = missed,
            SecondsPerToken = seconds,
        };
    }

    /// <summary>The footprint planned.</summary>
    public required ModelFootprint Model { get; init; }

    /// <summary>The budget given.</summary>
    public long BudgetBytes { get; init; }

    /// <summary>KV cache positions.</summary>
    public int Context { get; init; }

    /// <summary>Memory bandwidth assumed, GB/s.</summary>
    public double MemoryGBps { get; init; }

    /// <summary>File bandwidth assumed, GB/s.</summary>
    public double FileGBps { get; init; }

    /// <summary>Whether the budget holds the non-expert weights, the KV cache and at least one expert slot.</summary>
    public bool Fits { get; init; }

    /// <summary>The least budget that fits: non-expert weights + KV cache + one expert slot.</summary>
    public long MinimumBytes { get; init; }

    /// <summary>Float32 K and V at <see cref="Context"/> positions.</summary>
    public long KvCacheBytes { get; init; }

    /// <summary>Resident weights other than routed experts.</summary>
    public long NonExpertBytes => Model.NonExpertBytes;

    /// <summary>Experts the pool holds (0 when the plan does not fit).</summary>
    public int ExpertSlots { get; init; }

    /// <summary>Bytes of one slot: the largest expert.</summary>
    public long ExpertSlotBytes { get; init; }

    /// <summary>The pool: slots × slot bytes. Pass it as the expert memory of <c>generate</c>.</summary>
    public long ExpertPoolBytes => ExpertSlots * ExpertSlotBytes;

    /// <summary>Whether every routed expert is resident (nothing streams).</summary>
    public bool AllResident => Fits && ExpertSlots == Model.ExpertCount;

    /// <summary>Memory the plan uses: non-expert weights + KV cache + pool.</summary>
    public long ResidentBytes => NonExpertBytes + KvCacheBytes + ExpertPoolBytes;

    /// <summary>Routed expert bytes that live only in the file (read on a miss).</summary>
    public long StreamedBytes => Model.RoutedExpertBytes - Layers.Sum(l => l.ResidentExperts * l.ExpertBytes);

    /// <summary>Per MoE layer, the resident share of its experts.</summary>
    public IReadOnlyList<LayerPlan> Layers { get; init; } = [];

    /// <summary>Expected hit rate over all expert requests under uniform routing (every MoE layer gets k per token).</summary>
    public double ExpectedHitRate => Layers.Count == 0 ? 1 : Layers.Average(l => l.ExpectedHitRate);

    /// <summary>Weight bytes a decoded token reads from memory (k experts per MoE layer, the head, one embedding row).</summary>
    public long ActiveWeightBytesPerToken { get; init; }

    /// <summary>Weights plus the KV cache a token at the end of the context attends over.</summary>
    public long ActiveBytesPerToken => ActiveWeightBytesPerToken + KvCacheBytes;

    /// <summary>Expected expert bytes read from the file per token.</summary>
    public double MissedBytesPerToken { get; init; }

    /// <summary>Expected time per decoded token (see the remarks for the model).</summary>
    public double SecondsPerToken { get; init; }

    /// <summary>Expected decode speed, tokens per second.</summary>
    public double TokensPerSecond => 1 / SecondsPerToken;
}
