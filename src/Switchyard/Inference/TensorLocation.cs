using Switchyard.Tensors;

namespace Switchyard.Inference;

/// <summary>
/// Where a weight matrix lies in a checkpoint file: enough to read it with explicit I/O (expert
/// streaming) without the file's index. <see cref="Rows"/> × <see cref="Cols"/> as <see cref="WeightMatrix"/>.
/// </summary>
/// <param name="FilePath">The file holding the bytes.</param>
/// <param name="Offset">Absolute byte offset of the first row in the file.</param>
/// <param name="ByteLength">Rows × row bytes.</param>
/// <param name="Type">Encoding of the rows.</param>
/// <param name="Rows">Output features.</param>
/// <param name="Cols">Input features.</param>
public readonly record struct TensorLocation(string FilePath, long Offset, long ByteLength, GgmlType Type, int Rows, int Cols);
