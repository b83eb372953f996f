using Switchyard.Models;
using Switchyard.Tensors;

namespace Switchyard.Inference;

/// <summary>
/// Every activation buffer of a forward pass, sized once for <see cref="Chunk"/> tokens per pass so
/// that a decode step allocates nothing. Longer prompts run in chunks of that many tokens.
/// </summary>
internal sealed class Workspace
{
    public Workspace(ModelConfig config, int chunk, int maxContext)
    {
        int d = config.HiddenSize, hd = config.EffectiveHeadDim, heads = config.NumAttentionHeads;
        int width = Math.Max(config.IntermediateSize, Math.Max(config.ExpertIntermediateSize, config.SharedIntermediateSize));
        Chunk = chunk;
        Hidden = new float[chunk * d];
        Normed = new float[chunk * d];
        Output = new float[chunk * d];
        Query = new float[chunk * heads * hd];
        Attention = new float[chunk * heads * hd];
        InvRms = new float[chunk * Math.Max(heads, 1)];
        Gate = new float[chunk * width];
        Up = new float[chunk * width];
        RouterLogits = new float[chunk * Math.Max(config.NumExperts, 1)];
        Rows = new float[chunk * d];
        ExpertOut = new float[chunk * d];
        SharedGate = new float[chunk];
        Ids = new int[chunk];
        Positions = new int[maxContext];
        for (int i = 0; i < maxContext; i++) Positions[i] = i;
        NormedTensor = new Tensor(new Shape(1, d));
    }

    public int Chunk { get; }
    public float[] Hidden { get; }
    public float[] Normed { get; }
    public float[] Output { get; }
    public float[] Query { get; }
    public float[] Attention { get; }
    public float[] InvRms { get; }
    public float[] Gate { get; }
    public float[] Up { get; }
    public float[] RouterLogits { get; }
    public float[] Rows { get; }
    public float[] ExpertOut { get; }
    public float[] SharedGate { get; }
    public int[] Ids { get; }
    public int[] Positions { get; }

    /// <summary>A tensor rebound over <see cref="Normed"/> for the router's input Var.</summary>
    public Tensor NormedTensor { get; }
}
