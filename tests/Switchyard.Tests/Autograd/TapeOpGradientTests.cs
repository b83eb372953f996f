using Switchyard.Autograd;
using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;
using static Switchyard.Tests.Autograd.TapeGradCheck;

namespace Switchyard.Tests.Autograd;

/// <summary>Tape-level float64 gradient checks of the elementwise, reduction and shape ops (see <see cref="TapeGradCheck"/>).</summary>
public class TapeOpGradientTests
{
    static readonly Shape S = new(3, 7);

    static double[] Map(double[] a, double[] b, Func<double, double, double> f)
    {
        var y = new double[a.Length];
        for (int i = 0; i < a.Length; i++) y[i] = f(a[i], b[i]);
        return y;
    }

    [Fact]
    public void Add_SameShape_GradientMatchesFloat64() =>
        Check([Random(S, 1), Random(S, 2)], (t, v) => t.Add(v[0], v[1]), x => Map(x[0], x[1], (a, b) => a + b));

    [Fact]
    public void Add_RowBroadcastBias_GradientMatchesFloat64() =>
        Check([Random(S, 1), Random(new Shape(7), 2)], (t, v) => t.Add(v[0], v[1]), x =>
        {
            var y = new double[21];
            Elementwise.ReferenceAddRowBroadcast<double>(x[0], x[1], y, 3, 7);
            return y;
        });

    [Fact]
    public void Sub_GradientMatchesFloat64() =>
        Check([Random(S, 1), Random(S, 2)], (t, v) => t.Sub(v[0], v[1]), x => Map(x[0], x[1], (a, b) => a - b));

    [Fact]
    public void Mul_GradientMatchesFloat64() =>
        Check([Random(S, 1), Random(S, 2)], (t, v) => t.Mul(v[0], v[1]), x =>
        {
            var y = new double[21];
            Elementwise.ReferenceMultiply<double>(x[0], x[1], y);
            return y;
        });

    [Fact]
    public void Mul_SameVarTwice_GradientAccumulates() =>
        Check([Random(S, 1)], (t, v) => t.Mul(v[0], v[0]), x => Map(x[0], x[0], (a, b) => a * b));

    [Fact]
    public void Scale_GradientMatchesFloat64() =>
        Check([Random(S, 1)], (t, v) => t.Scale(v[0], -2.5f), x => Map(x[0], x[0], (a, _) => -2.5 * a));

    [Fact]
    public void Sum_GradientMatchesFloat64() =>
        Check([Random(S, 1)], (t, v) => t.Sum(v[0]), x => [x[0].Sum()]);

    [Fact]
    public void Mean_GradientMatchesFloat64() =>
        Check([Random(S, 1)], (t, v) => t.Mean(v[0]), x => [x[0].Sum() / x[0].Length]);

    [Fact]
    public void SumLastAxis_GradientMatchesFloat64() =>
        Check([Random(new Shape(2, 3, 5), 1)], (t, v) => t.SumLastAxis(v[0]), x =>
        {
            var y = new double[6];
            Reduce.ReferenceSumLastAxis<double>(x[0], y, 6, 5);
            return y;
        });

    [Fact]
    public void MeanLastAxis_GradientMatchesFloat64() =>
        Check([Random(S, 1)], (t, v) => t.MeanLastAxis(v[0]), x =>
        {
            var y = new double[3];
            Reduce.ReferenceSumLastAxis<double>(x[0], y, 3, 7);
            for (int i = 0; i < 3; i++) y[i] /= 7;
            return y;
        });

    [Fact]
    public void Reshape_GradientMatchesFloat64() =>
        // Reshape then a shape-sensitive op, so a wrong view would show.
        Check([Random(S, 1), Random(new Shape(3), 2)], (t, v) => t.Add(t.Reshape(v[0], new Shape(7, 3)), v[1]), x =>
        {
            var y = new double[21];
            Elementwise.ReferenceAddRowBroadcast<double>(x[0], x[1], y, 7, 3);
            return y;
        });

    [Fact]
    public void Transpose_GradientMatchesFloat64() =>
        Check([Random(S, 1)], (t, v) => t.Transpose(v[0]), x =>
        {
            var y = new double[21];
            Transpose.ReferenceMatrix<double>(x[0], y, 3, 7);
            return y;
        });

    [Fact]
    public void SwapMiddleAxes_GradientMatchesFloat64() =>
        Check([Random(new Shape(2, 3, 4, 5), 1)], (t, v) => t.SwapMiddleAxes(v[0]), x =>
        {
            var y = new double[120];
            for (int a = 0; a < 2; a++)
                for (int b = 0; b < 3; b++)
                    for (int c = 0; c < 4; c++)
                        for (int d = 0; d < 5; d++) y[((a * 4 + c) * 3 + b) * 5 + d] = x[0][((a * 3 + b) * 4 + c) * 5 + d];
            return y;
        });

    [Fact]
    public void Concat_GradientMatchesFloat64() =>
        Check([Random(new Shape(3, 2), 1), Random(new Shape(3, 5), 2), Random(new Shape(3, 1), 3)],
            (t, v) => t.Concat(v[0], v[1], v[2]), x =>
            {
                var y = new double[24];
                for (int r = 0; r < 3; r++)
                {
                    Array.Copy(x[0], r * 2, y, r * 8, 2);
                    Array.Copy(x[1], r * 5, y, r * 8 + 2, 5);
                    Array.Copy(x[2], r, y, r * 8 + 7, 1);
                }
                return y;
            });

    [Fact]
    public void Slice_GradientMatchesFloat64() =>
        Check([Random(S, 1)], (t, v) => t.Slice(v[0], 2, 4), x =>
        {
            var y = new double[12];
            for (int r = 0; r < 3; r++) Array.Copy(x[0], r * 7 + 2, y, r * 4, 4);
            return y;
        });

    [Fact]
    public void Split_UnusedPart_GradientMatchesFloat64() =>
        // Part 1 never reaches the loss: its gradient is skipped, not read.
        Check([Random(new Shape(2, 6), 1)], (t, v) =>
        {
            var parts = new Var[3];
            t.Split(v[0], parts);
            return t.Concat(parts[2], parts[0]);
        }, x =>
        {
            var y = new double[8];
            for (int r = 0; r < 2; r++)
            {
                Array.Copy(x[0], r * 6 + 4, y, r * 4, 2);
                Array.Copy(x[0], r * 6, y, r * 4 + 2, 2);
            }
            return y;
        });

    [Fact]
    public void Sigmoid_GradientMatchesFloat64() => Unary(S, (t, x) => t.Sigmoid(x), Sigmoid.ReferenceForward<double>, -6, 6);

    [Fact]
    public void Tanh_GradientMatchesFloat64() => Unary(S, (t, x) => t.Tanh(x), Tanh.ReferenceForward<double>, -3, 3);

    [Fact]
    public void Exp_GradientMatchesFloat64() => Unary(S, (t, x) => t.Exp(x), Exp.ReferenceForward<double>);

    [Fact]
    public void Log_GradientMatchesFloat64() => Unary(S, (t, x) => t.Log(x), Log.ReferenceForward<double>, 0.2f, 3f);

    [Fact]
    public void Clamp_GradientMatchesFloat64() =>
        // Inputs at least 0.05 from the kinks at ±1: central differences are undefined there.
        Check([Kinkless()], (t, v) => t.Clamp(v[0], -1f, 1f), x =>
        {
            var y = new double[x[0].Length];
            Clamp.ReferenceForward<double>(x[0], y, -1, 1);
            return y;
        });

    static Tensor Kinkless()
    {
        Tensor t = Random(S, 4, -2f, 2f);
        for (int i = 0; i < t.Length; i++)
            if (Math.Abs(Math.Abs(t[i]) - 1f) < 0.05f) t[i] = 0.5f;
        return t;
    }
}
