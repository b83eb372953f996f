namespace Switchyard.Tensors;

/// <summary>
/// Seeded random numbers that yield the same stream on every machine and runtime:
/// xoshiro256** seeded through SplitMix64, with uniform and normal floats derived by
/// fixed formulas (System.Random's algorithm is not a compatibility promise).
/// </summary>
public sealed class Rng
{
    ulong _s0, _s1, _s2, _s3;

    /// <summary>Creates a generator whose stream depends only on <paramref name="seed"/>.</summary>
    public Rng(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix(ref x); _s1 = SplitMix(ref x); _s2 = SplitMix(ref x); _s3 = SplitMix(ref x);
    }

    /// <summary>The generator's full state, for checkpoints that resume bit-identically.</summary>
    public (ulong S0, ulong S1, ulong S2, ulong S3) State
    {
        get => (_s0, _s1, _s2, _s3);
        set => (_s0, _s1, _s2, _s3) = value;
    }

    static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0; _s3 ^= _s1; _s1 ^= _s2; _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 24 random bits (every float32 step in that range equally likely).</summary>
    public float NextFloat() => (NextUInt64() >> 40) * (1f / (1 << 24));

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, <paramref name="maxExclusive"/>), unbiased (Lemire's method).</summary>
    public int NextInt(int maxExclusive)
    {
        if (maxExclusive <= 0) throw new ArgumentOutOfRangeException(nameof(maxExclusive), maxExclusive, "must be positive");
        ulong range = (ulong)maxExclusive;
        while (true)
        {
            UInt128 m = (UInt128)NextUInt64() * range;
            ulong low = (ulong)m;
            if (low >= range || low >= (0UL - range) % range) return (int)(ulong)(m >> 64);
        }
    }

    /// <summary>Standard normal sample (Box–Muller in double, so every machine rounds the same way).</summary>
    /// <remarks>
    /// The second Box–Muller value is not cached: the four state words are then the whole
    /// state, so a checkpoint resumes bit-identically even after an odd number of draws.
    /// </remarks>
    public float NextNormal()
    {
        double u1 = 1.0 - NextDouble(); // (0, 1]: log is finite
        double u2 = NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }

    /// <summary>Fills <paramref name="dst"/> with N(0, <paramref name="std"/>²) samples.</summary>
    public void FillNormal(Span<float> dst, float std = 1f)
    {
        for (int i = 0; i < dst.Length; i++) dst[i] = NextNormal() * std;
    }

    /// <summary>Fills <paramref name="dst"/> uniformly from [<paramref name="low"/>, <paramref name="high"/>).</summary>
    public void FillUniform(Span<float> dst, float low, float high)
    {
        for (int i = 0; i < dst.Length; i++) dst[i] = low + (high - low) * NextFloat();
    }
}
