using System.Numerics;
using Switchyard.Autograd;
using Switchyard.Tensors;

namespace Switchyard.Routing.Gating;

/// <summary>
/// Differentiable gate values: gathers entries of the probability matrix and optionally
/// normalises each by a per-item sum over a variable-length set of entries,
/// <c>y[j] = scale·p[flat[j]] / D[item[j]]</c> with <c>D[i] = Σ_{m ∈ den(i)} p[m] + 1e-20</c>
/// (DeepSeek-V3's guard against an all-zero set), or D = 1 without normalisation. Covers
/// Mixtral/GShard renormalised top-k (den = the item's selected experts), renormalisation after
/// drops (den = kept experts) and DeepSeek's s′ = s / Σ_j s_j (den = the whole row). One generic
/// implementation: float on the tape, double as the gradient-check oracle.
/// </summary>
public static class GateGather
{
    // DeepSeek-V3 adds 1e-20 to the denominator of its normalised top-k weights.
    const double Epsilon = 1e-20;

    /// <summary>
    /// Records the gather on <paramref name="tape"/>: a [flat.Length] Var whose gradient flows into
    /// <paramref name="probabilities"/>. Normalises when <paramref name="denOffsets"/> is non-empty
    /// (length items + 1, CSR into <paramref name="den"/>, flat indices into probabilities).
    /// Index spans are copied, so callers may reuse them.
    /// </summary>
    /// <exception cref="ArgumentException">Lengths do not fit or an index is out of range.</exception>
    public static Var Apply(Tape tape, Var probabilities, ReadOnlySpan<int> flat, ReadOnlySpan<int> item,
        ReadOnlySpan<int> denOffsets, ReadOnlySpan<int> den, float scale)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(probabilities);
        Validate(probabilities.Shape.Size, flat, item, denOffsets, den);
        bool grad = tape.NeedsGrad(probabilities);
        int n = flat.Length, items = Math.Max(0, denOffsets.Length - 1);
        Var y = tape.NewVar(new Shape(n), grad);
        Tensor denominators = tape.Allocate(new Shape(Math.Max(1, items)), zero: false);
        Forward<float>(probabilities.Value.Span, flat, item, denOffsets, den, scale, denominators.Span[..items], y.Value.Span);
        if (grad)
        {
            TapeNode node = tape.Record(GateGatherOp.Instance, [probabilities], [y]).Save(denominators);
            Memory<int> a = tape.AllocateInts(2 * n, zero: false);
            flat.CopyTo(a.Span); item.CopyTo(a.Span[n..]);
            Memory<int> b = tape.AllocateInts(denOffsets.Length + den.Length, zero: false);
            denOffsets.CopyTo(b.Span); den.CopyTo(b.Span[denOffsets.Length..]);
            node.Ints = a; node.Ints2 = b;
            node.Int0 = n; node.Int1 = denOffsets.Length;
            node.Float0 = scale;
        }
        return y;
    }

    /// <summary>y[j] = scale·p[flat[j]] / D[item[j]]; fills <paramref name="denominators"/> [items] when normalising.</summary>
    public static void Forward<T>(ReadOnlySpan<T> p, ReadOnlySpan<int> flat, ReadOnlySpan<int> item, ReadOnlySpan<int> denOffsets,
        ReadOnlySpan<int> den, T scale, Span<T> denominators, Span<T> y) where T : IFloatingPointIeee754<T>
    {
        bool normalize = denOffsets.Length > 0;
        if (normalize)
        {
            T eps = T.CreateChecked(Epsilon);
            for (int i = 0; i < denOffsets.Length - 1; i++)
            {
                T s = T.Zero;
                for (int m = denOffsets[i]; m < denOffsets[i + 1]; m++) s += p[den[m]];
                denominators[i] = s + eps;
            }
        }
        for (int j = 0; j < flat.Length; j++)
            y[j] = normalize ? scale * p[flat[j]] / denominators[item[j]] : scale * p[flat[j]];
    }

    /// <summary>
    /// dp[flat[j]] += scale·dy[j]/D; dp[m] −= scale·A[i]/D[i]² for m ∈ den(i), A[i] = Σ_{j: item[j]=i} dy[j]·p[flat[j]].
    /// Accumulates into <paramref name="dp"/>; <paramref name="scratch"/> holds [items].
    /// </summary>
    public static void Backward<T>(ReadOnlySpan<T> p, ReadOnlySpan<int> flat, ReadOnlySpan<int> item, ReadOnlySpan<int> denOffsets,
        ReadOnlySpan<int> den, T scale, ReadOnlySpan<T> denominators, ReadOnlySpan<T> dy, Span<T> dp, Span<T> scratch)
        where T : IFloatingPointIeee754<T>
    {
        if (denOffsets.Length == 0)
        {
            for (int j = 0; j < flat.Length; j++) dp[flat[j]] += scale * dy[j];
            return;
        }
        int items = denOffsets.Length - 1;
        Span<T> a = scratch[..items];
        a.Clear();
        for (int j = 0; j < flat.Length; j++)
        {
            T d = denominators[item[j]];
            dp[flat[j]] += scale * dy[j] / d;
            a[item[j]] += dy[j] * p[flat[j]];
        }
        for (int i = 0; i < items; i++)
        {
            if (a[i] == T.Zero) continue;
            T d = denominators[i], g = scale * a[i] / (d * d);
            for (int m = denOffsets[i]; m < denOffsets[i + 1]; m++) dp[den[m]] -= g;
        }
    }

    static void Validate(int size, ReadOnlySpan<int> flat, ReadOnlySpan<int> item, ReadOnlySpan<int> denOffsets, ReadOnlySpan<int> den)
    {
        foreach (int f in flat)
            if ((uint)f >= (uint)size) throw new ArgumentException($"flat index {f} outside the {size} probabilities", nameof(flat));
        if (denOffsets.Length == 0) return;
        if (item.Length != flat.Length) throw new ArgumentException($"item has {item.Length} entries, flat {flat.Length}", nameof(item));
        int items = denOffsets.Length - 1;
        foreach (int i in item)
            if ((uint)i >= (uint)items) throw new ArgumentException($"item {i} outside the {items} items", nameof(item));
        if (denOffsets[0] != 0 || denOffsets[items] != den.Length)
            throw new ArgumentException($"denOffsets must run from 0 to den.Length = {den.Length}", nameof(denOffsets));
        foreach (int m in den)
            if ((uint)m >= (uint)size) throw new ArgumentException($"den index {m} outside the {size} probabilities", nameof(den));
    }
}

/// <summary>Backward of <see cref="GateGather.Apply"/>.</summary>
internal sealed class GateGatherOp : TapeOp
{
    public static readonly GateGatherOp Instance = new();

    public override void Backward(Tape tape, TapeNode node)
    {
        Var probs = node.Input(0);
        if (!probs.RequiresGrad) return;
        int n = node.Int0, denLen = node.Int1;
        ReadOnlySpan<int> a = node.Ints.Span, b = node.Ints2.Span;
        Tensor denominators = node.Saved(0);
        int items = Math.Max(0, denLen - 1);
        Tensor scratch = tape.Allocate(new Shape(Math.Max(1, items)), zero: false);
        GateGather.Backward<float>(probs.Value.Span, a[..n], a[n..(2 * n)], b[..denLen], b[denLen..], node.Float0,
            denominators.Span[..items], node.Output(0).Grad.Span, probs.Grad.Span, scratch.Span);
    }
}
