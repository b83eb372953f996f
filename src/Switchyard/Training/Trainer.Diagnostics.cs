using System.Globalization;
using Switchyard.Autograd;
using Switchyard.Models;
using Switchyard.Tensors;

namespace Switchyard.Training;

// NaN/Inf detection: name where the first non-finite value appeared.
public sealed partial class Trainer
{
    // Records the tape's node count after each layer, so a node index maps back to its layer.
    sealed class NodeBoundaries : ILayerStatsSink
    {
        readonly List<int> _ends = [];
        Tape? _tape;

        public void Begin(Tape tape) { _tape = tape; _ends.Clear(); }

        public void OnFeedForward(int layer, FeedForwardBlock block, int rows)
        {
            if (_tape is not null) _ends.Add(_tape.NodeCount);
        }

        // The decoder layer that recorded node i, or -1 after the last layer (final norm, head).
        public int LayerOf(int node)
        {
            for (int l = 0; l < _ends.Count; l++) if (node < _ends[l]) return l;
            return -1;
        }
    }

    TrainingDivergedException DivergedInForward(int step, float loss)
    {
        string where = "an op outside the recorded graph", op = "?";
        int? layer = null;
        for (int i = 0; i < _tape.NodeCount; i++)
        {
            TapeNode node = _tape.Node(i);
            bool bad = false;
            for (int o = 0; o < node.OutputCount && !bad; o++) bad = !AllFinite(node.Output(o).Value.Span);
            if (!bad) continue;
            op = node.Op.Name;
            int l = _boundaries.LayerOf(i);
            layer = l >= 0 ? l : null;
            where = l >= 0 ? $"layer {l}, op {op}" : $"the final norm / lm_head, op {op}";
            break;
        }
        string? param = FirstNonFinite(gradients: false);
        string detail = param is null ? "" : $" (parameter {param} holds non-finite values)";
        return Diverged(step, $"loss is {F(loss)}; first non-finite value in {where}{detail}", layer, op);
    }

    TrainingDivergedException DivergedInBackward(int step, double norm)
    {
        string? name = FirstNonFinite(gradients: true);
        int? layer = name is null ? null : LayerFromName(name);
        return Diverged(step, $"gradient norm is {F(norm)}; first non-finite gradient in {(layer is { } l ? $"layer {l}, " : "")}parameter {name ?? "?"} (backward)", layer, name);
    }

    TrainingDivergedException Diverged(int step, string what, int? layer, string? op)
    {
        string kept = _lastCheckpoint > 0
            ? $"stopped; last good checkpoint (step {_lastCheckpoint}) kept in {_dir}"
            : $"stopped before the first checkpoint; nothing was saved in {_dir}";
        return new TrainingDivergedException($"step {step}: {what}; {kept}", step, layer, op, _lastCheckpoint);
    }

    string? FirstNonFinite(bool gradients)
    {
        foreach (var (name, p) in _named)
        {
            Tensor t = gradients ? p.Grad : p.Value;
            if (!AllFinite(t.Span)) return name;
        }
        return null;
    }

    static int? LayerFromName(string name)
    {
        const string prefix = "model.layers.";
        if (!name.StartsWith(prefix, StringComparison.Ordinal)) return null;
        int end = name.IndexOf('.', prefix.Length);
        return int.TryParse(name.AsSpan(prefix.Length, (end < 0 ? name.Length : end) - prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int l) ? l : null;
    }

    static bool AllFinite(ReadOnlySpan<float> x)
    {
        foreach (float v in x) if (!float.IsFinite(v)) return false;
        return true;
    }

    static string F(double v) => v.ToString(CultureInfo.InvariantCulture);
}
