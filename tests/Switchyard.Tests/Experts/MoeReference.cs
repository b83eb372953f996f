using Switchyard.Experts;
using Switchyard.Routing;
using Switchyard.Routing.Scorers;
using Switchyard.Tensors;
using Switchyard.Tests.TestSupport;
using Switchyard.Tensors.Kernels;

namespace Switchyard.Tests.Experts;

/// <summary>
/// The MoE layer written out naively in double, token by token: softmax gate, the plan's
/// selected and kept experts (fixed, so central differences never flip a choice), each kept
/// expert's SwiGLU applied to the token, gate-weighted sum, plus the shared expert. The oracle
/// for forward values and for float64 central-difference gradients.
/// </summary>
internal sealed class MoeReference
{
    public int Tokens, D, E, F, SharedF;
    public bool Normalize, SharedGate;
    // Per token: selected experts (the normalisation set) and kept experts (after capacity).
    public int[][] Selected = [], Kept = [];
    public double[] X = [], Gate = [], GateUp = [], Down = [], SharedGateProj = [], SharedUp = [], SharedDown = [], SharedGateW = [];

    /// <summary>Captures a layer's weights, an input and the plan of the layer's last call.</summary>
    public static MoeReference From(MoeLayer layer, Tensor x, bool normalize)
    {
        var experts = (SwiGluExperts)layer.Experts;
        var plan = layer.Plan;
        var r = new MoeReference
        {
            Tokens = x.Shape[0], D = experts.ModelDim, E = experts.Experts, F = experts.Width, Normalize = normalize,
            X = Rand.ToDouble(x.Span),
            Gate = Rand.ToDouble(((LinearScorer)layer.Router.Scorer).Weight.Value.Span),
            GateUp = Rand.ToDouble(experts.GateUp.Span),
            Down = Rand.ToDouble(experts.Down.Span),
        };
        if (layer.SharedExpert is { } s)
        {
            r.SharedF = s.IntermediateSize;
            r.SharedGateProj = Rand.ToDouble(((Switchyard.Nn.Layers.Linear)s.GateProj).Weight.Value.Span);
            r.SharedUp = Rand.ToDouble(((Switchyard.Nn.Layers.Linear)s.UpProj).Weight.Value.Span);
            r.SharedDown = Rand.ToDouble(((Switchyard.Nn.Layers.Linear)s.DownProj).Weight.Value.Span);
        }
        if (layer.SharedExpertGate is { } g)
        {
            r.SharedGate = true;
            r.SharedGateW = Rand.ToDouble(g.Weight.Value.Span);
        }
        r.Selected = new int[r.Tokens][];
        r.Kept = new int[r.Tokens][];
        for (int t = 0; t < r.Tokens; t++)
        {
            r.Selected[t] = plan.SelectedExpert[plan.SelectedOffsets[t]..plan.SelectedOffsets[t + 1]].ToArray();
            int a = plan.ItemOffsets[t], b = plan.ItemOffsets[t + 1];
            r.Kept[t] = new int[b - a];
            for (int m = a; m < b; m++) r.Kept[t][m - a] = plan.Expert[plan.ItemSlot[m]];
        }
        return r;
    }

    /// <summary>y [Tokens·D] from the current arrays.</summary>
    public double[] Forward()
    {
        int d = D, f = F;
        var y = new double[Tokens * d];
        var logits = new double[E];
        var o = new double[d];
        for (int t = 0; t < Tokens; t++)
        {
            ReadOnlySpan<double> x = X.AsSpan(t * d, d);
            double max = double.NegativeInfinity;
            for (int e = 0; e < E; e++)
            {
                double s = 0;
                for (int c = 0; c < d; c++) s += Gate[e * d + c] * x[c];
                logits[e] = s;
                max = Math.Max(max, s);
            }
            double z = 0;
            for (int e = 0; e < E; e++) z += Math.Exp(logits[e] - max);
            double P(int e) => Math.Exp(logits[e] - max) / z;
            double den = 0;
            foreach (int e in Selected[t]) den += P(e);
            foreach (int e in Kept[t])
            {
                double w = Normalize ? P(e) / (den + 1e-20) : P(e);
                ExpertKernels.ReferenceExpert<double>(x, GateUp.AsSpan(e * 2 * f * d, f * d), GateUp.AsSpan(e * 2 * f * d + f * d, f * d),
                    Down.AsSpan(e * d * f, d * f), o, d, f);
                for (int c = 0; c < d; c++) y[t * d + c] += w * o[c];
            }
            if (SharedF > 0)
            {
                ExpertKernels.ReferenceExpert<double>(x, SharedGateProj, SharedUp, SharedDown, o, d, SharedF);
                double scale = 1;
                if (SharedGate)
                {
                    double s = 0;
                    for (int c = 0; c < d; c++) s += SharedGateW[c] * x[c];
                    scale = 1 / (1 + Math.Exp(-s));
                }
                for (int c = 0; c < d; c++) y[t * d + c] += scale * o[c];
            }
        }
        return y;
    }

    /// <summary>Dense reference: every token through every expert, weighted by the full softmax.</summary>
    public double[] Dense()
    {
        var all = Enumerable.Range(0, E).ToArray();
        int[][] keepSel = Selected, keepKept = Kept;
        Selected = Kept = Enumerable.Repeat(all, Tokens).ToArray();
        try { return Forward(); }
        finally { Selected = keepSel; Kept = keepKept; }
    }
}
