namespace Switchyard.Inference;

/// <summary>Where one expert's three projections lie in the checkpoint (see <see cref="TensorLocation"/>).</summary>
/// <param name="Gate">gate_proj.</param>
/// <param name="Up">up_proj.</param>
/// <param name="Down">down_proj.</param>
public readonly record struct ExpertLocation(TensorLocation Gate, TensorLocation Up, TensorLocation Down)
{
    /// <summary>Bytes of the three matrices.</summary>
    public long ByteLength => Gate.ByteLength + Up.ByteLength + Down.ByteLength;
}
