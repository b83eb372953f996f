using Switchyard.Models;
using Switchyard.Nn;

namespace Switchyard.Inference;

/// <summary>
/// The parameters of a built <see cref="DecoderModel"/> under their Hugging Face names, handed to the
/// engine without a copy: matrices and vectors are views of the parameters' float arrays, so the
/// inference model sees later changes to the weights.
/// </summary>
internal sealed class ModelTensors : ICheckpointTensors
{
    readonly Dictionary<string, Parameter> _parameters = new(StringComparer.Ordinal);

    public ModelTensors(DecoderModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        foreach (var (name, p) in model.NamedParameters()) _parameters[name] = p;
        // Tied heads are listed once, as the embedding; the engine asks for lm_head by name.
        if (model.LmHead.Tied) _parameters["lm_head.weight"] = model.LmHead.Weight;
    }

    public string Source => "model";

    public bool Contains(string name) => _parameters.ContainsKey(name);

    public IReadOnlyList<int> Shape(string name)
    {
        var s = Get(name).Shape;
        var dims = new int[s.Rank];
        for (int i = 0; i < dims.Length; i++) dims[i] = s[i];
        return dims;
    }

    public WeightMatrix Matrix(string name)
    {
        var t = Get(name).Value;
        int cols = t.Shape.Rank == 0 ? 1 : t.Shape.Last;
        return WeightMatrix.FromFloats(Memory(t), t.Length / cols, cols);
    }

    public void ReadFloat32(string name, Span<float> destination) => Get(name).Value.Span.CopyTo(destination);

    public ReadOnlyMemory<float> Vector(string name) => Memory(Get(name).Value);

    public TensorLocation? Locate(string name) => null;

    public void Dispose() { }

    static ReadOnlyMemory<float> Memory(Tensors.Tensor t) => new(t.Buffer, t.Offset, t.Length);

    Parameter Get(string name) =>
        _parameters.TryGetValue(name, out var p) ? p : throw new KeyNotFoundException($"the model has no parameter '{name}'");
}
