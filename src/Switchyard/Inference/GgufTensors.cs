using Switchyard.Formats.Gguf;
using Switchyard.Models;
using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;

namespace Switchyard.Inference;

/// <summary>
/// The tensors of a llama.cpp GGUF file under their Hugging Face names (<see cref="GgufTensorNames"/>):
/// matrices of any type <c>QuantMatMul</c> multiplies are used in place in the memory map, routed
/// experts as row slices of the stacked <c>ffn_*_exps</c> tensors. q_proj/k_proj rows stay in llama.cpp's
/// permuted order for the Llama/Granite families; the engine then rotates with interleaved RoPE.
/// </summary>
internal sealed class GgufTensors(GgufFile file) : ICheckpointTensors
{
    public string Source => file.FilePath;

    public GgufFile File => file;

    public bool Contains(string name) => Map(name, out _, out _);

    public IReadOnlyList<int> Shape(string name)
    {
        GgufTensorInfo info = Get(name, out int expert);
        // ggml order is innermost first; an expert's slice drops the outermost (expert) dimension.
        int n = info.Dimensions.Length - (expert >= 0 ? 1 : 0);
        var dims = new int[n];
        for (int i = 0; i < n; i++) dims[i] = checked((int)info.Dimensions[n - 1 - i]);
        return dims;
    }

    public WeightMatrix Matrix(string name)
    {
        GgufTensorInfo info = Get(name, out int expert);
        (int rows, int cols, long firstRow) = Rows(info, expert);
        if (QuantMatMul.IsSupported(info.Type))
        {
            int rowBytes = checked((int)GgmlTypes.RowBytes(info.Type, cols));
            ReadOnlyMemory<byte> all = file.GetMemory(info.Name);
            return new WeightMatrix(info.Type, rows, cols, all.Slice(checked((int)(firstRow * rowBytes)), rows * rowBytes));
        }
        // A type without a matmul kernel (e.g. Q5_K) is widened to float32 once.
        var values = new float[(long)rows * cols];
        file.ReadRows(info.Name, firstRow, values);
        return WeightMatrix.FromFloats(values, rows, cols);
    }

    public void ReadFloat32(string name, Span<float> destination)
    {
        GgufTensorInfo info = Get(name, out int expert);
        file.ReadRows(info.Name, Rows(info, expert).FirstRow, destination);
    }

    public ReadOnlyMemory<float> Vector(string name)
    {
        GgufTensorInfo info = Get(name, out int expert);
        (int rows, int cols, _) = Rows(info, expert);
        var values = new float[(long)rows * cols];
        ReadFloat32(name, values);
        return values;
    }

    public TensorLocation? Locate(string name)
    {
        GgufTensorInfo info = Get(name, out int expert);
        if (!QuantMatMul.IsSupported(info.Type)) return null;
        (int rows, int cols, long firstRow) = Rows(info, expert);
        long rowBytes = GgmlTypes.RowBytes(info.Type, cols);
        return new TensorLocation(file.FilePath, info.FileOffset + firstRow * rowBytes, rows * rowBytes, info.Type, rows, cols);
    }

    public void Dispose() => file.Dispose();

    static (int Rows, int Cols, long FirstRow) Rows(GgufTensorInfo info, int expert)
    {
        int cols = checked((int)info.Columns);
        long rows = info.Rows;
        if (expert < 0) return (checked((int)rows), cols, 0);
        long experts = info.Dimensions[^1], perExpert = rows / experts;
        return (checked((int)perExpert), cols, expert * perExpert);
    }

    bool Map(string name, out GgufTensorInfo info, out int expert)
    {
        info = null!;
        expert = -1;
        return GgufTensorNames.TryFromHuggingFace(name, out string g, out expert) && file.TryGetTensor(g, out info)
            && (expert < 0 || (info.Dimensions.Length >= 3 && expert < info.Dimensions[^1]));
    }

    GgufTensorInfo Get(string name, out int expert) =>
        Map(name, out GgufTensorInfo info, out expert) ? info : throw new KeyNotFoundException($"{Path.GetFileName(file.FilePath)} has no tensor for '{name}'");
}
