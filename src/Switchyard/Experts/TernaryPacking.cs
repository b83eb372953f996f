namespace Switchyard.Experts;

/// <summary>
/// The packed export of a ternary matrix: 2 bits per weight, four weights per byte (weight i in bits
/// 2·(i mod 4) .. 2·(i mod 4)+1 of byte i/4; code 0 = 0, 1 = +1, 2 = −1), plus its scale α. What
/// <see cref="TernaryExperts"/> computes with is exactly the unpacked matrix. (The paper's 1.58 bits per weight
/// is the entropy bound log₂ 3; this simple layout stores 2.)
/// </summary>
public static class TernaryPacking
{
    /// <summary>Bytes that <paramref name="weights"/> weights pack into.</summary>
    public static int PackedLength(int weights) => (weights + 3) / 4;

    /// <summary>Ternarises <paramref name="w"/> (<see cref="TernaryExperts.Ternarize"/>) into <paramref name="packed"/>; returns α.</summary>
    /// <exception cref="ArgumentException"><paramref name="packed"/> is not <see cref="PackedLength"/> bytes.</exception>
    public static float Pack(ReadOnlySpan<float> w, Span<byte> packed)
    {
        if (packed.Length != PackedLength(w.Length))
            throw new ArgumentException($"packed has {packed.Length} bytes, {w.Length} weights need {PackedLength(w.Length)}", nameof(packed));
        float[] q = new float[w.Length];
        float alpha = TernaryExperts.Ternarize(w, q);
        packed.Clear();
        for (int i = 0; i < q.Length; i++)
        {
            int code = q[i] > 0 ? 1 : q[i] < 0 ? 2 : 0;
            packed[i >> 2] |= (byte)(code << (2 * (i & 3)));
        }
        return alpha;
    }

    /// <summary>Writes α·{−1, 0, +1} of each packed weight into <paramref name="w"/>.</summary>
    /// <exception cref="ArgumentException">The lengths disagree, or a code is 3 (not written by <see cref="Pack"/>).</exception>
    public static void Unpack(ReadOnlySpan<byte> packed, float alpha, Span<float> w)
    {
        if (packed.Length != PackedLength(w.Length))
            throw new ArgumentException($"packed has {packed.Length} bytes, {w.Length} weights need {PackedLength(w.Length)}", nameof(packed));
        for (int i = 0; i < w.Length; i++)
        {
            int code = (packed[i >> 2] >> (2 * (i & 3))) & 3;
            w[i] = code switch
            {
                0 => 0f,
                1 => alpha,
                2 => -alpha,
                _ => throw new ArgumentException($"byte {i >> 2} holds code 3 for weight {i}: not a packed ternary matrix", nameof(packed)),
            };
        }
    }
}
