using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Switchyard.Formats;
using Switchyard.Tensors;

namespace Switchyard.Inference;

/// <summary>
/// The tensors of a Hugging Face checkpoint folder (<c>model.safetensors</c>, or the shards of
/// <c>model.safetensors.index.json</c>), memory-mapped. F32, F16 and BF16 matrices are used in place
/// (<c>QuantMatMul</c> widens half-precision rows on the fly); other dtypes are converted to float32 at load.
/// </summary>
internal sealed unsafe class SafeTensorsCheckpoint : ICheckpointTensors
{
    readonly SafeTensorsIndex _index;

    public SafeTensorsCheckpoint(string directory, string weightsFile = "model.safetensors")
    {
        _index = SafeTensorsIndex.OpenCheckpoint(directory, weightsFile);
        Source = directory;
    }

    public string Source { get; }

    public bool Contains(string name) => _index.Contains(name);

    public IReadOnlyList<int> Shape(string name) => _index.GetInfo(name).Shape;

    public WeightMatrix Matrix(string name)
    {
        TensorInfo info = _index.GetInfo(name);
        (int rows, int cols) = RowsCols(info);
        if (InPlace(info.DType) is { } type && info.ByteLength <= int.MaxValue)
        {
            ReadOnlySpan<byte> bytes = _index.GetBytes(name);
            byte* p = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(bytes));
            return new WeightMatrix(type, rows, cols, new UnmanagedBytes(p, bytes.Length).Memory);
        }
        // Integer dtypes (and matrices over 2 GiB, which one Memory cannot span) become float32 copies.
        var values = new float[(long)rows * cols];
        _index.ReadFloat32(name, values);
        return WeightMatrix.FromFloats(values, rows, cols);
    }

    public void ReadFloat32(string name, Span<float> destination) => _index.ReadFloat32(name, destination);

    public ReadOnlyMemory<float> Vector(string name)
    {
        var values = new float[_index.GetInfo(name).ElementCount];
        _index.ReadFloat32(name, values);
        return values;
    }

    public TensorLocation? Locate(string name)
    {
        TensorInfo info = _index.GetInfo(name);
        if (InPlace(info.DType) is not { } type) return null;
        (int rows, int cols) = RowsCols(info);
        return new TensorLocation(_index.GetShard(name).FilePath, info.FileOffset, info.ByteLength, type, rows, cols);
    }

    static GgmlType? InPlace(TensorDType dtype) => dtype switch
    {
        TensorDType.F32 => GgmlType.F32,
        TensorDType.F16 => GgmlType.F16,
        TensorDType.BF16 => GgmlType.BF16,
        _ => null,
    };

    static (int Rows, int Cols) RowsCols(TensorInfo info)
    {
        IReadOnlyList<int> s = info.Shape;
        if (s.Count == 0) return (1, 1);
        int cols = s[^1];
        long rows = cols == 0 ? 0 : info.ElementCount / cols;
        return ((int)rows, cols);
    }

    public void Dispose() => _index.Dispose();
}
