namespace Switchyard.Tensors.Kernels;

public static partial class CachedAttention
{
    /// <summary>An empty online-softmax state: acc = 0, m = −∞, l = 0 for each of G heads.</summary>
    static unsafe void ClearState(float* state, int G, int d)
    {
        new Span<float>(state, G * d).Clear();
        new Span<float>(state + G * d, G).Fill(float.NegativeInfinity);
        new Span<float>(state + G * d + G, G).Clear();
    }

    /// <summary>
    /// Adds n keys to the online-softmax state of one token's G query heads: state = (acc [G·d],
    /// m [G], l [G]) with m = max score, l = Σ e^(score − m), acc = Σ e^(score − m)·v.
    /// </summary>
    /// <remarks>
    /// qs: the G scaled query rows of d floats, contiguous. k, v: the block's first key and value
    /// rows for this kv head, rows <c>kStride</c> and <c>vStride</c> floats apart. scores: scratch of G·BlockKeys floats.
    /// </remarks>
    static unsafe void Block(float* qs, float* k, long kStride, float* v, long vStride, int n, int G, int d, float* scores, float* state, SimdWidth w)
    {
        float* acc = state, m = state + G * d, l = m + G;
        Scores(qs, k, kStride, n, G, d, scores, w);
        for (int h = 0; h < G; h++)
        {
            float* sc = scores + h * BlockKeys, acch = acc + h * d;
            float mOld = m[h], mNew = MathF.Max(mOld, VectorMath.Max(new ReadOnlySpan<float>(sc, n), w));
            if (mNew != mOld && mOld != float.NegativeInfinity)
            {
                // The running max rose: rescale what was summed under the old one.
                float alpha = VectorMath.Exp(mOld - mNew);
                l[h] *= alpha;
                VectorMath.Scale(new Span<float>(acch, d), alpha, w);
            }
            m[h] = mNew;
            l[h] += VectorMath.ExpShiftStore(new ReadOnlySpan<float>(sc, n), mNew, new Span<float>(sc, n), w);
            WeightedRows.Accumulate(sc, 1, v, vStride, n, acch, d, w);
        }
    }

    /// <summary>
    /// run ← run ⊕ chunk, the online-softmax merge of the next chunk in key order:
    /// M = max(m₁, m₂), l = l₁·e^(m₁−M) + l₂·e^(m₂−M), acc likewise. A factor of exactly 1 skips its product.
    /// </summary>
    static unsafe void MergeStates(float* run, float* chunk, int G, int d, SimdWidth w)
    {
        float* runM = run + G * d, runL = runM + G, chM = chunk + G * d, chL = chM + G;
        for (int h = 0; h < G; h++)
        {
            float m1 = runM[h], m2 = chM[h], mNew = MathF.Max(m1, m2);
            float a = m1 == mNew ? 1f : VectorMath.Exp(m1 - mNew);
            float b = m2 == mNew ? 1f : VectorMath.Exp(m2 - mNew);
            var acc = new Span<float>(run + h * d, d);
            if (a != 1f) VectorMath.Scale(acc, a, w);
            VectorMath.AddScaled(new ReadOnlySpan<float>(chunk + h * d, d), b, acc, w);
            runL[h] = runL[h] * a + chL[h] * b;
            runM[h] = mNew;
        }
    }

    /// <summary>o[h] = acc[h] / l[h] for the G heads of a state (o rows are adjacent).</summary>
    static unsafe void WriteOutput(float* state, float* o, int G, int d, SimdWidth w)
    {
        float* l = state + G * d + G;
        for (int h = 0; h < G; h++)
            VectorMath.Scale(new ReadOnlySpan<float>(state + h * d, d), 1f / l[h], new Span<float>(o + h * d, d), w);
    }
}
