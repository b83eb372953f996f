namespace Switchyard.Inference;

/// <summary>
/// One SwiGLU expert's projections: gate and up [F, d], down [d, F]; y = down(silu(gate·x) ⊙ up·x).
/// </summary>
/// <param name="Gate">gate_proj (<c>w1</c>).</param>
/// <param name="Up">up_proj (<c>w3</c>).</param>
/// <param name="Down">down_proj (<c>w2</c>).</param>
public sealed record ExpertWeights(WeightMatrix Gate, WeightMatrix Up, WeightMatrix Down)
{
    /// <summary>Bytes of the three matrices.</summary>
    public long ByteLength => Gate.ByteLength + Up.ByteLength + Down.ByteLength;
}
