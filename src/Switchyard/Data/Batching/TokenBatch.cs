namespace Switchyard.Data;

/// <summary>
/// A batch of <see cref="BatchSize"/> windows of <see cref="SequenceLength"/> positions, all
/// arrays row-major [batch, sequence]: position t of row r predicts <c>Targets[r·T + t]</c>
/// from <c>Inputs[r·T + 0..t]</c>. Labels describe the target token. The arrays are owned by
/// the batcher and overwritten by its next call: copy what must outlive it.
/// </summary>
public sealed class TokenBatch
{
    /// <summary>Creates a batch with zeroed arrays.</summary>
    public TokenBatch(int batchSize, int sequenceLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(sequenceLength, 1);
        BatchSize = batchSize;
        SequenceLength = sequenceLength;
        int n = batchSize * sequenceLength;
        Inputs = new int[n]; Targets = new int[n];
        Sources = new int[n]; Domains = new int[n]; Tasks = new int[n]; Languages = new int[n]; Families = new int[n]; Modalities = new int[n]; Roles = new int[n];
        LossMask = new float[n];
        Rows = batchSize;
    }

    /// <summary>Rows (windows) per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Positions per window (the model's context length).</summary>
    public int SequenceLength { get; }

    /// <summary>Rows that hold data; the last evaluation batch may hold fewer than <see cref="BatchSize"/> (the rest are padding with mask 0).</summary>
    public int Rows { get; internal set; }

    /// <summary>Input token ids.</summary>
    public int[] Inputs { get; }

    /// <summary>Target token ids: the inputs shifted left by one.</summary>
    public int[] Targets { get; }

    /// <summary>Mixture source id of each target (<see cref="LabelSet.Sources"/>); -1 on padding.</summary>
    public int[] Sources { get; }

    /// <summary>Domain id of each target (<see cref="LabelSet.Domains"/>); -1 on padding.</summary>
    public int[] Domains { get; }

    /// <summary>Task id of each target (<see cref="LabelSet.Tasks"/>); -1 on padding.</summary>
    public int[] Tasks { get; }

    /// <summary>Language id of each target (<see cref="LabelSet.Languages"/>); -1 on padding.</summary>
    public int[] Languages { get; }

    /// <summary>Language-family id of each target (<see cref="LabelSet.FamilyId"/> of its language); -1 on padding or without a family.</summary>
    public int[] Families { get; }

    /// <summary>Modality id of each target (<see cref="LabelSet.Modalities"/>: natural text or synthetic task); -1 on padding.</summary>
    public int[] Modalities { get; }

    /// <summary>Role id of each target (<see cref="LabelSet.Roles"/>: natural text, task prompt or task answer); -1 on padding.</summary>
    public int[] Roles { get; }

    /// <summary>1 where the target counts toward the loss (all natural text; answers only for synthetic tasks), 0 elsewhere and on padding.</summary>
    public float[] LossMask { get; }
}
