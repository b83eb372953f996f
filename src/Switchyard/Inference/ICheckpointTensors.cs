namespace Switchyard.Inference;

/// <summary>
/// Named weights as the engine reads them, keyed by Hugging Face tensor names whatever the file
/// format: a safetensors checkpoint (<see cref="SafeTensorsCheckpoint"/>), a built model's
/// parameters (<see cref="ModelTensors"/>), and next to them a GGUF file whose names are mapped
/// with <c>Models.GgufTensorNames</c>.
/// </summary>
internal interface ICheckpointTensors : IDisposable
{
    /// <summary>What the tensors come from, for error messages (a path, or "model").</summary>
    string Source { get; }

    /// <summary>Whether <paramref name="name"/> exists.</summary>
    bool Contains(string name);

    /// <summary>The dimensions of <paramref name="name"/>, outermost first (PyTorch order).</summary>
    IReadOnlyList<int> Shape(string name);

    /// <summary>
    /// <paramref name="name"/> as a matrix of (product of all dimensions but the last) rows × the last
    /// dimension columns, used in place where the
    /// encoding allows (memory-mapped F32, quantized rows), converted to float32 otherwise.
    /// </summary>
    WeightMatrix Matrix(string name);

    /// <summary>Converts <paramref name="name"/> to float32 into <paramref name="destination"/> (exactly its element count).</summary>
    void ReadFloat32(string name, Span<float> destination);

    /// <summary>A float32 vector (norm weights, biases): in place when stored as float32 in memory, else a converted copy.</summary>
    ReadOnlyMemory<float> Vector(string name);

    /// <summary>Where <paramref name="name"/>'s bytes lie in a file, or null when the tensors are not in a file (or not stored as <see cref="Matrix"/> returns them).</summary>
    TensorLocation? Locate(string name);
}
