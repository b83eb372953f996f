using System.Numerics;
using Switchyard.Autograd;
using Switchyard.Tensors;

namespace Switchyard.Routing.Balancers;

/// <summary>
/// The squared coefficient of variation of a vector, <c>CV²(x) = var(x) / (mean(x)² + 1e-10)</c> with the
/// unbiased variance (PyTorch's <c>Tensor.var()</c>, as the reference's <c>cv_squared</c>); 0 for one entry.
/// One generic implementation: float on the tape, double as the gradient-check oracle.
/// </summary>
public static class CvSquared
{
    const double Epsilon = 1e-10;

    /// <summary>Records CV²(<paramref name="x"/>) (x of any shape, read as a vector) as a scalar (rank-0) Var.</summary>
    public static Var Apply(Tape tape, Var x)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(x);
        bool grad = tape.NeedsGrad(x);
        Var y = tape.NewVar(Tape.Scalar, grad);
        y.Value.Span[0] = Forward<float>(x.Value.Span);
        if (grad) tape.Record(CvSquaredOp.Instance, [x], [y]);
        return y;
    }

    /// <summary>var(x)/(mean² + 1e-10), unbiased variance; 0 when x has fewer than two entries.</summary>
    public static T Forward<T>(ReadOnlySpan<T> x) where T : IFloatingPointIeee754<T>
    {
        int n = x.Length;
        if (n < 2) return T.Zero;
        var (mean, variance) = Moments(x);
        return variance / (mean * mean + T.CreateChecked(Epsilon));
    }

    /// <summary>dx[i] += dy·(2(xᵢ − m)/((n−1)·D) − v·2m/(n·D²)), D = m² + 1e-10.</summary>
    public static void Backward<T>(ReadOnlySpan<T> x, T dy, Span<T> dx) where T : IFloatingPointIeee754<T>
    {
        int n = x.Length;
        if (n < 2) return;
        var (mean, variance) = Moments(x);
        T d = mean * mean + T.CreateChecked(Epsilon), two = T.CreateChecked(2);
        T a = two / (T.CreateChecked(n - 1) * d), b = variance * two * mean / (T.CreateChecked(n) * d * d);
        for (int i = 0; i < n; i++) dx[i] += dy * (a * (x[i] - mean) - b);
    }

    static (T Mean, T Variance) Moments<T>(ReadOnlySpan<T> x) where T : IFloatingPointIeee754<T>
    {
        T sum = T.Zero;
        foreach (T v in x) sum += v;
        T mean = sum / T.CreateChecked(x.Length), ss = T.Zero;
        foreach (T v in x) ss += (v - mean) * (v - mean);
        return (mean, ss / T.CreateChecked(x.Length - 1));
    }
}

/// <summary>Backward of <see cref="CvSquared.Apply"/>.</summary>
internal sealed class CvSquaredOp : TapeOp
{
    public static readonly CvSquaredOp Instance = new();

    public override void Backward(Tape tape, TapeNode node)
    {
        Var x = node.Input(0);
        if (!x.RequiresGrad) return;
        CvSquared.Backward<float>(x.Value.Span, node.Output(0).Grad.Span[0], x.Grad.Span);
    }
}
