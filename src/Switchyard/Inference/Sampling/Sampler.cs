using System.Numerics;
using System.Runtime.Intrinsics;
using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;

namespace Switchyard.Inference;

/// <summary>
/// Picks the next token from a row of logits under <see cref="SamplingOptions"/>, from its own
/// seeded random stream. One sampler per generated sequence; not thread-safe.
/// </summary>
/// <remarks>
/// The order is Hugging Face's logits warpers (TemperatureLogitsWarper → TopK → TopP → MinP),
/// then one draw: temperature divides the logits; top-k keeps the k most likely tokens; top-p
/// keeps the smallest most-likely-first prefix of those whose renormalised mass reaches p;
/// min-p then drops tokens below MinP × the most likely one's probability; a token is drawn in
/// proportion to the kept probabilities. (llama.cpp's default chain applies temperature after
/// top-k/top-p/min-p, so with temperature ≠ 1 its top-p and min-p see different probabilities.)
/// Equal logits rank by the lower token id, so every cut and the greedy choice are deterministic;
/// exactly k tokens survive top-k. Greedy sampling (temperature 0 or top-k 1) makes no draw;
/// every other call advances the stream by one <see cref="Rng.NextDouble"/>, so the same seed
/// and logits give the same tokens on every machine.
/// <para>
/// Cost: O(vocabulary) vector passes plus a sort of the few candidates that can survive the
/// cuts (tokens within MinP, or within a shrinking probability floor until the kept mass reaches
/// top-p). Scratch is sized on the first call for a vocabulary and reused: later calls allocate nothing.
/// </para>
/// </remarks>
public sealed class Sampler
{
    // Top-p candidates are first gathered above this weight (relative to the most likely token);
    // each round that holds less than the nucleus mass divides the floor by FloorStep.
    const float FirstFloor = 1e-3f;
    const float FloorStep = 1e-3f;

    readonly Rng _rng;
    float[] _weights = [];
    ulong[] _keys = [];
    int[] _topIndices = [];
    float[] _topValues = [];

    /// <summary>Creates a sampler whose stream starts at <paramref name="options"/>' seed.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    public Sampler(SamplingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        _rng = new Rng(options.Seed);
    }

    /// <summary>The options this sampler applies.</summary>
    public SamplingOptions Options { get; }

    /// <summary>Restarts the random stream from the seed, as if newly created.</summary>
    public void Reset() => _rng.State = new Rng(Options.Seed).State;

    /// <summary>Returns the id of the chosen token.</summary>
    /// <param name="logits">One logit per token id; finite or −∞ (a masked token), at least one finite.</param>
    /// <exception cref="ArgumentException">The row is empty, holds NaN or +∞, or every logit is −∞.</exception>
    public int Sample(ReadOnlySpan<float> logits) => Sample(logits, Simd.Best);

    internal int Sample(ReadOnlySpan<float> logits, SimdWidth width)
    {
        float max = CheckedMax(logits, width);
        if (Options.IsGreedy) return logits.IndexOf(max); // the first maximum: ties → lower id
        int keep = Truncate(logits, max, width, out double total);
        if (keep == 0) return Draw(_weights.AsSpan(0, logits.Length), total);

        double kept = 0;
        for (int j = 0; j < keep; j++) kept += _weights[Id(_keys[j])];
        double u = _rng.NextDouble() * kept, c = 0;
        for (int j = 0; j < keep - 1; j++)
        {
            c += _weights[Id(_keys[j])];
            if (u < c) return Id(_keys[j]);
        }
        return Id(_keys[keep - 1]); // also where rounding leaves u past the last partial sum
    }

    /// <summary>The ids that can be drawn (most likely first) and their unnormalised weights: the test view of the cuts.</summary>
    internal (int[] Ids, float[] Weights) Kept(ReadOnlySpan<float> logits, SimdWidth width)
    {
        float max = CheckedMax(logits, width);
        if (Options.IsGreedy) return ([logits.IndexOf(max)], [1f]);
        int keep = Truncate(logits, max, width, out _);
        if (keep == 0)
        {
            var all = Enumerable.Range(0, logits.Length).Where(i => _weights[i] > 0f).ToArray();
            return (all, all.Select(i => _weights[i]).ToArray());
        }
        var ids = _keys.AsSpan(0, keep).ToArray().Select(Id).ToArray();
        return (ids, ids.Select(i => _weights[i]).ToArray());
    }

    static float CheckedMax(ReadOnlySpan<float> logits, SimdWidth width)
    {
        if (logits.IsEmpty) throw new ArgumentException("logits is empty: there is no token to sample.", nameof(logits));
        float max = VectorMath.Max(logits, width);
        if (!float.IsFinite(max)) ThrowBadLogits(logits, max);
        return max;
    }

    /// <summary>
    /// Applies temperature, top-k, top-p and min-p. Returns the number of kept candidates, whose
    /// ids (most likely first) are <c>_keys[0..keep)</c> and weights w = e^((logit − max)/T) are
    /// in <c>_weights</c> by id (the most likely has w = 1, so min-p is w ≥ MinP); or 0 when
    /// nothing is cut and every id may be drawn, with <paramref name="total"/> = Σ w.
    /// </summary>
    int Truncate(ReadOnlySpan<float> logits, float max, SimdWidth width, out double total)
    {
        var o = Options;
        float invT = 1f / o.Temperature;
        int vocab = logits.Length;
        Grow(ref _weights, vocab);
        int count;
        if (o.TopK > 0 && o.TopK < vocab)
        {
            int k = o.TopK;
            Grow(ref _topIndices, k);
            Grow(ref _topValues, k);
            Grow(ref _keys, k);
            Span<int> idx = _topIndices.AsSpan(0, k);
            Span<float> val = _topValues.AsSpan(0, k);
            TopK.Row(logits, idx, val, width); // sorted, ties → lower id
            total = 0;
            for (int j = 0; j < k; j++)
            {
                float w = Weight(val[j], max, invT);
                _weights[idx[j]] = w;
                _keys[j] = (uint)idx[j];
                total += w;
            }
            count = k;
        }
        else
        {
            Span<float> weights = _weights.AsSpan(0, vocab);
            total = Weights(logits, max, invT, weights, width);
            if (o.TopP >= 1f && o.MinP == 0f) return 0;
            count = Candidates(logits, weights, total, o.TopP, o.MinP);
        }

        // Top-p: the smallest prefix whose mass reaches p of the (top-k) total; min-p: w ≥ MinP.
        int keep = count;
        if (o.TopP < 1f)
        {
            double target = o.TopP * total, mass = 0;
            for (int j = 0; j < count; j++)
            {
                mass += _weights[Id(_keys[j])];
                if (mass >= target) { keep = j + 1; break; }
            }
        }
        if (o.MinP > 0f)
        {
            int j = 1; // the most likely token always stays
            while (j < keep && _weights[Id(_keys[j])] >= o.MinP) j++;
            keep = j;
        }
        return keep;
    }

    /// <summary>
    /// Gathers into <c>_keys</c> (returning the count) the sort keys (ids, most likely first, ties → lower id) of every token that can survive top-p
    /// then min-p: those with w ≥ MinP when min-p is on (no later token can be kept), else those
    /// above a floor lowered until the gathered mass reaches p·total (the nucleus lies within).
    /// </summary>
    int Candidates(ReadOnlySpan<float> logits, ReadOnlySpan<float> weights, double total, float topP, float minP)
    {
        Grow(ref _keys, logits.Length);
        float floor = minP > 0f ? minP : FirstFloor;
        double target = topP * total;
        while (true)
        {
            int n = 0;
            double mass = 0;
            for (int i = 0; i < weights.Length; i++)
            {
                float w = weights[i];
                if (w >= floor && w > 0f)
                {
                    _keys[n++] = SortKey(logits[i], i);
                    mass += w;
                }
            }
            if (minP > 0f || mass >= target || floor == 0f)
            {
                _keys.AsSpan(0, n).Sort();
                return n;
            }
            floor = floor > 1e-30f ? floor * FloorStep : 0f;
        }
    }

    /// <summary>
    /// Ascending order of these keys = descending logit, then ascending id: the high half is the
    /// logit's bits mapped to an order-preserving unsigned int, complemented.
    /// </summary>
    static ulong SortKey(float logit, int id)
    {
        uint bits = BitConverter.SingleToUInt32Bits(logit + 0f); // −0 → +0: equal logits tie
        uint ordered = (bits & 0x8000_0000u) != 0 ? ~bits : bits | 0x8000_0000u;
        return ((ulong)~ordered << 32) | (uint)id;
    }

    static int Id(ulong key) => (int)(uint)key;

    /// <summary>Draws an id in proportion to <paramref name="weights"/> (no truncation), scanning in id order.</summary>
    int Draw(ReadOnlySpan<float> weights, double total)
    {
        double u = _rng.NextDouble() * total, c = 0;
        int last = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            if (weights[i] == 0f) continue;
            c += weights[i];
            last = i;
            if (u < c) return i;
        }
        return last;
    }

    static float Weight(float logit, float max, float invT) => VectorMath.Exp((logit - max) * invT);

    /// <summary>w[i] = e^((logit[i] − max)/T), returns Σ w in double (four partial sums, fixed order).</summary>
    static double Weights(ReadOnlySpan<float> logits, float max, float invT, Span<float> w, SimdWidth width)
    {
        int n = logits.Length, i = 0;
        if (width == SimdWidth.V512)
        {
            var m = Vector512.Create(max);
            var s = Vector512.Create(invT);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                VectorMath.Exp((Vector512.Create(logits[i..]) - m) * s).CopyTo(w[i..]);
        }
        if (width != SimdWidth.Scalar)
        {
            var m = Vector256.Create(max);
            var s = Vector256.Create(invT);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
                VectorMath.Exp((Vector256.Create(logits[i..]) - m) * s).CopyTo(w[i..]);
        }
        for (; i < n; i++) w[i] = Weight(logits[i], max, invT);

        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        i = 0;
        for (; i <= n - 4; i += 4) { s0 += w[i]; s1 += w[i + 1]; s2 += w[i + 2]; s3 += w[i + 3]; }
        for (; i < n; i++) s0 += w[i];
        return (s0 + s1) + (s2 + s3);
    }

    static void Grow<T>(ref T[] array, int length)
    {
        if (array.Length < length) array = new T[length];
    }

    static void ThrowBadLogits(ReadOnlySpan<float> logits, float max)
    {
        if (float.IsNegativeInfinity(max))
            throw new ArgumentException($"Every one of the {logits.Length} logits is −∞: no token can be sampled.", nameof(logits));
        for (int i = 0; i < logits.Length; i++)
            if (float.IsNaN(logits[i]) || float.IsPositiveInfinity(logits[i]))
                throw new ArgumentException($"logits[{i}] = {(float.IsNaN(logits[i]) ? "NaN" : "+∞")}: logits must be finite or −∞.", nameof(logits));
        throw new ArgumentException("logits must be finite or −∞.", nameof(logits));
    }
}
