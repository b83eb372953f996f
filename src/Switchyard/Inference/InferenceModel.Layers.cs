using System.Globalization;
using Switchyard.Models;
using Switchyard.Routing.Selectors;

namespace Switchyard.Inference;

// Reading one decoder layer's tensors by their Hugging Face names.
public sealed partial class InferenceModel
{
    InferenceLayer LoadLayer(TensorCheck check, int i)
    {
        ModelConfig c = Config;
        int d = c.HiddenSize, hd = c.EffectiveHeadDim, q = c.NumAttentionHeads * hd, kv = c.KeyValueHeads * hd;
        string p = Layer(i), a = p + "self_attn.";
        var inputNorm = check.Vector(p + "input_layernorm.weight", d);
        var postNorm = check.Vector(p + "post_attention_layernorm.weight", d);
        var wq = check.Matrix(a + "q_proj.weight", q, d);
        var wk = check.Matrix(a + "k_proj.weight", kv, d);
        var wv = check.Matrix(a + "v_proj.weight", kv, d);
        var wo = check.Matrix(a + "o_proj.weight", d, q);
        ReadOnlyMemory<float> qNorm = default, kNorm = default;
        if (c.QkNorm != QkNormKind.None)
        {
            bool full = c.QkNorm == QkNormKind.FullProjection;
            qNorm = check.Vector(a + "q_norm.weight", full ? q : hd);
            kNorm = check.Vector(a + "k_norm.weight", full ? kv : hd);
        }
        ExpertWeights? dense = null;
        InferenceMoe? moe = null;
        if (c.LayerKind(i) == FeedForwardKind.Moe) moe = LoadMoe(check, i);
        else dense = Swiglu(check, p + "mlp.", "gate_proj", "up_proj", "down_proj", c.IntermediateSize, d);
        if (check.Failed) return null!; // the constructor throws with every problem once all layers are read
        return new InferenceLayer
        {
            InputNorm = inputNorm, PostNorm = postNorm, Q = wq!, K = wk!, V = wv!, O = wo!,
            QBias = check.OptionalVector(a + "q_proj.bias", q), KBias = check.OptionalVector(a + "k_proj.bias", kv),
            VBias = check.OptionalVector(a + "v_proj.bias", kv), OBias = check.OptionalVector(a + "o_proj.bias", d),
            QNorm = qNorm, KNorm = kNorm, Dense = dense, Moe = moe,
        };
    }

    static ExpertWeights? Swiglu(TensorCheck check, string prefix, string gate, string up, string down, int width, int d)
    {
        var g = check.Matrix(prefix + gate + ".weight", width, d);
        var u = check.Matrix(prefix + up + ".weight", width, d);
        var w = check.Matrix(prefix + down + ".weight", d, width);
        return g is null || u is null || w is null ? null : new ExpertWeights(g, u, w);
    }

    InferenceMoe? LoadMoe(TensorCheck check, int i)
    {
        ModelConfig c = Config;
        MoeTensorNames names = c.MoeNames;
        int d = c.HiddenSize, e = c.NumExperts, f = c.ExpertIntermediateSize;
        string b = Layer(i) + names.Block + ".";
        // Granite names its router router.layer in HF files; Switchyard's MoeLayer saves gate for every architecture.
        string routerName = check.FirstExisting(names.RouterWeight(i), b + "gate.weight");
        bool linear = (_modelRouters[i] ?? CatalogRouter(c, i, null, null, false)).Scorer is Routing.Scorers.LinearScorer;
        WeightMatrix? router = linear || check.Contains(routerName) ? check.Matrix(routerName, e, d) : null;
        var resident = new ExpertWeights[e];
        ExpertLocation[]? locations = new ExpertLocation[e];
        string fusedIn = b + names.FusedInput + ".weight", fusedOut = b + names.FusedOutput + ".weight";
        if (names.FusedInput is not null && check.Contains(fusedIn))
        {
            // Granite-MoE: input_linear [E, 2F, d] (gate rows, then up rows) and output_linear [E, d, F], sliced per expert in place.
            var gu = check.Matrix(fusedIn, e * 2 * f, d);
            var dn = check.Matrix(fusedOut, e * d, f);
            if (gu is null || dn is null) return null;
            TensorLocation? guAt = check.Tensors.Locate(fusedIn), dnAt = check.Tensors.Locate(fusedOut);
            for (int x = 0; x < e; x++)
            {
                resident[x] = new ExpertWeights(Slice(gu, x * 2 * f, f), Slice(gu, x * 2 * f + f, f), Slice(dn, x * d, d));
                if (guAt is { } g && dnAt is { } o && locations is not null)
                    locations[x] = new ExpertLocation(Slice(g, x * 2 * f, f), Slice(g, x * 2 * f + f, f), Slice(o, x * d, d));
                else locations = null;
            }
        }
        else
        {
            for (int x = 0; x < e; x++)
            {
                string Name(string projection) => names.Experts is null
                    ? $"{b}experts.{x.ToString(CultureInfo.InvariantCulture)}.{projection}.weight"
                    : names.ExpertWeight(i, x, projection);
                string gn = Name(names.GateProj), un = Name(names.UpProj), dn = Name(names.DownProj);
                var g = check.Matrix(gn, f, d);
                var u = check.Matrix(un, f, d);
                var w = check.Matrix(dn, d, f);
                if (g is null || u is null || w is null) continue;
                resident[x] = new ExpertWeights(g, u, w);
                if (locations is not null && check.Tensors.Locate(gn) is { } gl && check.Tensors.Locate(un) is { } ul && check.Tensors.Locate(dn) is { } dl)
                    locations[x] = new ExpertLocation(gl, ul, dl);
                else locations = null;
            }
        }
        ExpertWeights? shared = null;
        WeightMatrix? sharedGate = null;
        if (c.SharedIntermediateSize > 0)
        {
            string s = b + (names.SharedExpert ?? "shared_expert") + ".";
            shared = Swiglu(check, s, "gate_proj", "up_proj", "down_proj", c.SharedIntermediateSize, d);
            if (c.Preset?.SharedExpertGate ?? false)
                sharedGate = check.Matrix(b + (names.SharedExpertGate ?? "shared_expert_gate") + ".weight", 1, d);
        }
        if (check.Failed) return null;
        return new InferenceMoe(i, e, d, router)
        {
            Resident = resident,
            Locations = locations,
            Shared = shared,
            SharedGate = sharedGate,
            SelectionBias = check.OptionalVector(b + "gate.e_score_correction_bias", e),
        };
    }

    static WeightMatrix Slice(WeightMatrix m, int firstRow, int rows) =>
        new(m.Type, rows, m.Cols, m.Bytes.Slice(firstRow * m.RowBytes, rows * m.RowBytes));

    static TensorLocation Slice(TensorLocation at, int firstRow, int rows)
    {
        // The location describes the stored encoding, which may differ from the loaded matrix's (F16 converted at load).
        long rowBytes = at.ByteLength / at.Rows;
        return at with { Offset = at.Offset + firstRow * rowBytes, ByteLength = rows * rowBytes, Rows = rows };
    }
}
