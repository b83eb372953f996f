namespace Switchyard.Tests.Nn;

/// <summary>
/// The Nn modules written out naively in double: the oracle for their forward passes and,
/// through central differences, for their parameter gradients.
/// </summary>
internal static class NnReference
{
    /// <summary>y[r, o] = Σᵢ x[r, i]·W[o, i] + b[o].</summary>
    public static double[] Linear(double[] x, double[] w, double[]? b, int rows, int inF, int outF)
    {
        var y = new double[rows * outF];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < outF; o++)
            {
                double s = b?[o] ?? 0;
                for (int i = 0; i < inF; i++) s += x[r * inF + i] * w[o * inF + i];
                y[r * outF + o] = s;
            }
        return y;
    }

    public static double[] RmsNorm(double[] x, double[] w, int rows, int cols, double eps)
    {
        var y = new double[x.Length];
        for (int r = 0; r < rows; r++)
        {
            double ms = 0;
            for (int c = 0; c < cols; c++) ms += x[r * cols + c] * x[r * cols + c];
            double inv = 1 / Math.Sqrt(ms / cols + eps);
            for (int c = 0; c < cols; c++) y[r * cols + c] = x[r * cols + c] * inv * w[c];
        }
        return y;
    }

    public static double Silu(double v) => v / (1 + Math.Exp(-v));

    public static double[] SwiGlu(double[] x, double[] wg, double[] wu, double[] wd, int rows, int hidden, int inter)
    {
        var g = Linear(x, wg, null, rows, hidden, inter);
        var u = Linear(x, wu, null, rows, hidden, inter);
        for (int i = 0; i < g.Length; i++) g[i] = Silu(g[i]) * u[i];
        return Linear(g, wd, null, rows, inter, hidden);
    }

    /// <summary>HF rotate_half RoPE in place on [tokens, heads, dim] with position = token index within its sequence.</summary>
    public static void Rope(double[] x, int batch, int seq, int heads, int dim, double theta)
    {
        int half = dim / 2;
        for (int b = 0; b < batch; b++)
            for (int s = 0; s < seq; s++)
                for (int h = 0; h < heads; h++)
                {
                    int o = ((b * seq + s) * heads + h) * dim;
                    for (int i = 0; i < half; i++)
                    {
                        double invFreq = 1.0 / Math.Pow(theta, 2.0 * i / dim);
                        double a = s * invFreq, c = Math.Cos(a), sn = Math.Sin(a);
                        double x1 = x[o + i], x2 = x[o + i + half];
                        x[o + i] = x1 * c - x2 * sn;
                        x[o + i + half] = x2 * c + x1 * sn;
                    }
                }
    }

    /// <summary>Causal softmax attention with grouped-query heads, scale 1/√dim.</summary>
    public static double[] Attention(double[] q, double[] k, double[] v, int batch, int seq, int qHeads, int kvHeads, int dim)
    {
        var o = new double[q.Length];
        int group = qHeads / kvHeads;
        double scale = 1 / Math.Sqrt(dim);
        var p = new double[seq];
        for (int b = 0; b < batch; b++)
            for (int h = 0; h < qHeads; h++)
            {
                int kh = h / group;
                for (int i = 0; i < seq; i++)
                {
                    int qo = ((b * seq + i) * qHeads + h) * dim;
                    double max = double.NegativeInfinity;
                    for (int j = 0; j <= i; j++)
                    {
                        int ko = ((b * seq + j) * kvHeads + kh) * dim;
                        double s = 0;
                        for (int d = 0; d < dim; d++) s += q[qo + d] * k[ko + d];
                        p[j] = s * scale;
                        max = Math.Max(max, p[j]);
                    }
                    double z = 0;
                    for (int j = 0; j <= i; j++) { p[j] = Math.Exp(p[j] - max); z += p[j]; }
                    for (int j = 0; j <= i; j++)
                    {
                        int vo = ((b * seq + j) * kvHeads + kh) * dim;
                        for (int d = 0; d < dim; d++) o[qo + d] += p[j] / z * v[vo + d];
                    }
                }
            }
        return o;
    }

    public sealed record AttentionWeights(double[] Wq, double[] Wk, double[] Wv, double[] Wo,
        double[]? Bq, double[]? Bk, double[]? Bv, double[]? QNorm, double[]? KNorm);

    public static double[] SelfAttention(double[] x, AttentionWeights w, int batch, int seq, int hidden, int heads, int kvHeads,
        int dim, double theta, double eps)
    {
        int rows = batch * seq;
        var q = Linear(x, w.Wq, w.Bq, rows, hidden, heads * dim);
        var k = Linear(x, w.Wk, w.Bk, rows, hidden, kvHeads * dim);
        var v = Linear(x, w.Wv, w.Bv, rows, hidden, kvHeads * dim);
        if (w.QNorm is not null) q = RmsNorm(q, w.QNorm, rows * heads, dim, eps);
        if (w.KNorm is not null) k = RmsNorm(k, w.KNorm, rows * kvHeads, dim, eps);
        Rope(q, batch, seq, heads, dim, theta);
        Rope(k, batch, seq, kvHeads, dim, theta);
        var o = Attention(q, k, v, batch, seq, heads, kvHeads, dim);
        return Linear(o, w.Wo, null, rows, heads * dim, hidden);
    }

    /// <summary>Mean cross-entropy (nats) of logits [rows, cols] against targets.</summary>
    public static double CrossEntropy(double[] logits, int[] targets, int rows, int cols)
    {
        double loss = 0;
        for (int r = 0; r < rows; r++)
        {
            double max = double.NegativeInfinity;
            for (int c = 0; c < cols; c++) max = Math.Max(max, logits[r * cols + c]);
            double z = 0;
            for (int c = 0; c < cols; c++) z += Math.Exp(logits[r * cols + c] - max);
            loss += max + Math.Log(z) - logits[r * cols + targets[r]];
        }
        return loss / rows;
    }
}
