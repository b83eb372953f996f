using Switchyard.Tensors;

namespace Switchyard.Formats;

/// <summary>One tensor to write: float32 data, converted to <paramref name="DType"/> on write.</summary>
/// <param name="Name">Name in the file, e.g. <c>model.embed_tokens.weight</c>.</param>
/// <param name="Shape">Shape; <c>Shape.Size</c> must equal <c>Data.Length</c>.</param>
/// <param name="DType">Stored type: F32, F16 or BF16.</param>
/// <param name="Data">The elements, row-major.</param>
public sealed record SafeTensorEntry(string Name, Shape Shape, TensorDType DType, ReadOnlyMemory<float> Data)
{
    /// <summary>An F32 entry holding a tensor's elements (not copied).</summary>
    public static SafeTensorEntry From(string name, Tensor tensor, TensorDType dtype = TensorDType.F32)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return new SafeTensorEntry(name, tensor.Shape, dtype, new ReadOnlyMemory<float>(tensor.Buffer, tensor.Offset, tensor.Length));
    }
}
