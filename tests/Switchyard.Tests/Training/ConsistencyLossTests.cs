using Switchyard.Autograd;
using Switchyard.Tensors;
using Switchyard.Tests.Autograd;
using Switchyard.Training;

namespace Switchyard.Tests.Training;

public sealed class ConsistencyLossTests
{
    static readonly float[] Mask = [1f, 0f, 1f, 1f];

    [Fact]
    public void SymmetricKl_GradientIntoBothPasses_MatchesFloat64()
    {
        const int rows = 4, vocab = 5;
        TapeGradCheck.Check([TapeGradCheck.Random(new Shape(rows, vocab), 1, -2, 2), TapeGradCheck.Random(new Shape(rows, vocab), 2, -2, 2)],
            (t, v) => ConsistencyLoss.SymmetricKl(t, v[0], v[1], Mask), x =>
            {
                double sum = 0;
                for (int r = 0; r < rows; r++)
                {
                    if (Mask[r] == 0) continue;
                    double[] p = Soft(x[0], r, vocab), q = Soft(x[1], r, vocab);
                    for (int j = 0; j < vocab; j++) sum += 0.5 * (p[j] * Math.Log(p[j] / q[j]) + q[j] * Math.Log(q[j] / p[j]));
                }
                return [sum / 3]; // three rows kept by the mask
            });
    }

    [Fact]
    public void SymmetricKl_SameLogits_IsZero_EmptyMask_IsZero()
    {
        var tape = new Tape(4096);
        Tensor a = TapeGradCheck.Random(new Shape(4, 5), 3);
        Assert.Equal(0f, ConsistencyLoss.SymmetricKl(tape, tape.Constant(a), tape.Constant(a), Mask).Value[0], 1e-7f);
        Tensor b = TapeGradCheck.Random(new Shape(4, 5), 4);
        Assert.Equal(0f, ConsistencyLoss.SymmetricKl(tape, tape.Constant(a), tape.Constant(b), new float[4]).Value[0]);
    }

    static double[] Soft(double[] x, int row, int vocab)
    {
        double max = x.Skip(row * vocab).Take(vocab).Max(), s = 0;
        var p = new double[vocab];
        for (int j = 0; j < vocab; j++) s += p[j] = Math.Exp(x[row * vocab + j] - max);
        for (int j = 0; j < vocab; j++) p[j] /= s;
        return p;
    }
}
