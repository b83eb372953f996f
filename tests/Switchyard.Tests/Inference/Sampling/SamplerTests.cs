using Switchyard.Inference;
using Switchyard.Tensors;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Inference.Sampling;

public class SamplerTests
{
    static readonly SimdWidth[] Widths = [SimdWidth.Scalar, SimdWidth.V256, SimdWidth.V512];

    static float[] Logits(params double[] probs) => probs.Select(p => (float)Math.Log(p)).ToArray();

    /// <summary>
    /// The specification in double: softmax(logits/T) → top-k → top-p (smallest most-likely-first
    /// prefix with mass ≥ p) → min-p (≥ MinP × the largest) → renormalised; ties → lower id.
    /// </summary>
    static Dictionary<int, double> Expected(float[] logits, SamplingOptions o)
    {
        var order = Enumerable.Range(0, logits.Length).OrderByDescending(i => logits[i]).ThenBy(i => i).ToList();
        double max = logits.Max();
        var w = order.ToDictionary(i => i, i => Math.Exp((logits[i] - max) / o.Temperature));
        if (o.TopK > 0) order = order.Take(o.TopK).ToList();
        double total = order.Sum(i => w[i]);
        if (o.TopP < 1f)
        {
            double mass = 0;
            int keep = order.Count;
            for (int j = 0; j < order.Count; j++)
            {
                mass += w[order[j]];
                if (mass >= o.TopP * total) { keep = j + 1; break; }
            }
            order = order.Take(keep).ToList();
        }
        if (o.MinP > 0f) order = order.Where(i => w[i] >= o.MinP * w[order[0]]).ToList();
        double kept = order.Sum(i => w[i]);
        return order.Where(i => w[i] > 0).ToDictionary(i => i, i => w[i] / kept);
    }

    /// <summary>Draws n tokens and checks they fall in the kept set with frequencies that pass a chi-square bound.</summary>
    static void AssertFrequencies(float[] logits, SamplingOptions o, int draws = 6_000)
    {
        var expected = Expected(logits, o);
        var sampler = new Sampler(o);
        var counts = new Dictionary<int, int>();
        for (int n = 0; n < draws; n++)
        {
            int id = sampler.Sample(logits);
            if (!expected.ContainsKey(id)) Assert.Fail($"drew id {id}, outside the kept set {{{string.Join(", ", expected.Keys)}}}");
            counts[id] = counts.GetValueOrDefault(id) + 1;
        }
        // Pearson's statistic over the kept ids; df = kept − 1. The seed is fixed, so this is a
        // deterministic check with a bound (mean + 6 standard deviations) a correct sampler meets.
        double chi2 = expected.Sum(p => Math.Pow(counts.GetValueOrDefault(p.Key) - draws * p.Value, 2) / (draws * p.Value));
        int df = Math.Max(1, expected.Count - 1);
        Assert.True(chi2 < df + 6 * Math.Sqrt(2 * df), $"chi-square {chi2:F1} with {df} degrees of freedom");
    }

    [Fact]
    public void Options_Defaults_SampleTheModelDistribution()
    {
        var o = new SamplingOptions();
        Assert.Equal((1f, 0, 1f, 0f, 0UL), (o.Temperature, o.TopK, o.TopP, o.MinP, o.Seed));
        Assert.False(o.IsGreedy);
        Assert.True(SamplingOptions.Greedy.IsGreedy);
        Assert.True((o with { TopK = 1 }).IsGreedy);
    }

    [Theory]
    [InlineData("temperature", -0.1f, 0, 1f, 0f)]
    [InlineData("temperature", float.NaN, 0, 1f, 0f)]
    [InlineData("temperature", float.PositiveInfinity, 0, 1f, 0f)]
    [InlineData("top-k", 1f, -1, 1f, 0f)]
    [InlineData("top-p", 1f, 0, 0f, 0f)]
    [InlineData("top-p", 1f, 0, 1.01f, 0f)]
    [InlineData("min-p", 1f, 0, 1f, -0.5f)]
    [InlineData("min-p", 1f, 0, 1f, 2f)]
    public void Options_OutOfRange_ThrowNamingOptionAndValidRanges(string option, float temperature, int topK, float topP, float minP)
    {
        var e = Assert.Throws<InvalidSamplingOptionException>(() => new SamplingOptions(temperature, topK, topP, minP));
        Assert.Equal(option, e.Option);
        Assert.Contains($"Sampling option {option} =", e.Message);
        Assert.Contains(InvalidSamplingOptionException.ValidRanges, e.Message);
        Assert.IsAssignableFrom<SwitchyardException>(e);
    }

    [Fact]
    public void Options_WithOutOfRangeValue_Throws()
    {
        var e = Assert.Throws<InvalidSamplingOptionException>(() => new SamplingOptions() with { TopP = 0f });
        Assert.Equal("top-p", e.Option);
    }

    [Fact]
    public void Sample_Greedy_ReturnsArgmaxWithTiesToLowerId()
    {
        var sampler = new Sampler(SamplingOptions.Greedy);
        Assert.Equal(2, sampler.Sample([0f, 1f, 3f, -2f]));
        Assert.Equal(1, sampler.Sample([0f, 5f, 5f, 5f]));
        Assert.Equal(1, sampler.Sample([float.NegativeInfinity, -1e30f, float.NegativeInfinity]));
    }

    [Fact]
    public void Sample_TopKOne_EqualsGreedyOnRandomLogits()
    {
        var rng = new Rng(1);
        var topOne = new Sampler(new SamplingOptions(Temperature: 1.5f, TopK: 1, Seed: 9));
        var greedy = new Sampler(SamplingOptions.Greedy);
        for (int n = 0; n < 50; n++)
        {
            float[] logits = Rand.Floats(rng, 1 + n * 37, 5f);
            Assert.Equal(greedy.Sample(logits), topOne.Sample(logits));
        }
    }

    [Theory]
    [InlineData(0.45f, new[] { 0 })]          // 0.5 alone reaches 0.45
    [InlineData(0.7f, new[] { 0, 2 })]        // 0.5 + 0.3 = 0.8 ≥ 0.7
    [InlineData(0.85f, new[] { 0, 2, 1 })]    // 0.8 < 0.85: the 0.2 joins
    public void Sample_TopP_KeepsSmallestPrefixReachingP(float topP, int[] kept)
    {
        float[] logits = Logits(0.5, 0.2, 0.3);
        var sampler = new Sampler(new SamplingOptions(TopP: topP, Seed: 3));
        Assert.Equal(kept, sampler.Kept(logits, Simd.Best).Ids);
        AssertFrequencies(logits, sampler.Options);
    }

    [Theory]
    [InlineData(0.2f, new[] { 0, 1, 2 })]     // floor 0.1: the 0.05 goes
    [InlineData(0.5f, new[] { 0, 1 })]        // floor 0.25
    [InlineData(1f, new[] { 0 })]
    public void Sample_MinP_DropsTokensBelowFractionOfMostLikely(float minP, int[] kept)
    {
        float[] logits = Logits(0.5, 0.3, 0.15, 0.05);
        var sampler = new Sampler(new SamplingOptions(MinP: minP, Seed: 4));
        Assert.Equal(kept, sampler.Kept(logits, Simd.Best).Ids);
        AssertFrequencies(logits, sampler.Options);
    }

    [Fact]
    public void Sample_TopK_KeepsExactlyKWithTiesToLowerIds()
    {
        float[] logits = [1f, 3f, 2f, 3f, 2f, 0f];
        var sampler = new Sampler(new SamplingOptions(TopK: 3));
        Assert.Equal([1, 3, 2], sampler.Kept(logits, Simd.Best).Ids);
        AssertFrequencies(logits, sampler.Options);
    }

    [Fact]
    public void Sample_Temperature_ScalesLogitsBeforeSoftmax()
    {
        // T = 2 halves the logit gaps: [0, 1, 2] samples as softmax([0, 0.5, 1]).
        float[] logits = [0f, 1f, 2f];
        var o = new SamplingOptions(Temperature: 2f, Seed: 5);
        var w = new Sampler(o).Kept(logits, Simd.Best);
        Assert.Equal([0, 1, 2], w.Ids.Order().ToArray());
        AssertFrequencies(logits, o);
        // A low temperature sharpens: the top token's share rises.
        var sharp = Expected(logits, o with { Temperature = 0.25f });
        Assert.True(sharp[2] > 0.98);
        AssertFrequencies(logits, o with { Temperature = 0.25f });
    }

    public static TheoryData<float, int, float, float> Combinations => new()
    {
        { 1f, 0, 1f, 0f },        // the full distribution: drawn in id order, no sort
        { 0.7f, 0, 0.9f, 0f },
        { 1.3f, 20, 0.95f, 0.02f },
        { 0.8f, 40, 0.95f, 0.05f },  // llama.cpp's default values (its order differs; see Sampler)
        { 1f, 0, 1f, 0.1f },
        { 2f, 7, 1f, 0f },
    };

    [Theory, MemberData(nameof(Combinations))]
    public void Sample_ManyDraws_FrequenciesMatchTruncatedDistribution(float temperature, int topK, float topP, float minP)
    {
        float[] logits = Rand.Floats(new Rng(12), 60, 3f);
        var o = new SamplingOptions(temperature, topK, topP, minP, Seed: 77);
        var expected = Expected(logits, o);
        foreach (var width in Widths)
        {
            if (!Simd.IsSupported(width)) continue;
            var (ids, _) = new Sampler(o).Kept(logits, width);
            Assert.Equal(expected.Keys.Order(), ids.Order());
        }
        AssertFrequencies(logits, o, draws: 10_000);
    }

    [Theory]
    [InlineData(0.5f, 0f)]
    [InlineData(0.999f, 0f)]    // the nucleus reaches below the first candidate floors
    [InlineData(0.9f, 1e-4f)]
    public void Kept_LargeVocabulary_MatchesSpecification(float topP, float minP)
    {
        // A 50k vocabulary with a long, flat tail: the candidate floor must be lowered for p near 1.
        var rng = new Rng(13);
        float[] logits = Rand.Floats(rng, 50_000, 2f);
        for (int i = 0; i < 20; i++) logits[rng.NextInt(logits.Length)] += 8f;
        var o = new SamplingOptions(TopP: topP, MinP: minP);
        var expected = Expected(logits, o);
        var (ids, _) = new Sampler(o).Kept(logits, Simd.Best);
        Assert.Equal(expected.Count, ids.Length);
        Assert.Equal(expected.Keys.Order(), ids.Order());
    }

    [Fact]
    public void Sample_MaskedLogits_NeverDrawn()
    {
        float[] logits = [float.NegativeInfinity, 0f, float.NegativeInfinity, 0.5f, float.NegativeInfinity];
        foreach (var o in new[] { new SamplingOptions(Seed: 1), new SamplingOptions(TopK: 4), new SamplingOptions(TopP: 0.99f), new SamplingOptions(MinP: 0.01f) })
        {
            var sampler = new Sampler(o);
            for (int n = 0; n < 500; n++) Assert.Contains(sampler.Sample(logits), new[] { 1, 3 });
        }
    }

    [Fact]
    public void Sample_SameSeed_SameSequence_ResetRestarts()
    {
        float[] logits = Rand.Floats(new Rng(14), 1000, 2f);
        var o = new SamplingOptions(Temperature: 0.9f, TopP: 0.95f, Seed: 42);
        int[] Run(Sampler s) => Enumerable.Range(0, 200).Select(_ => s.Sample(logits)).ToArray();
        var first = new Sampler(o);
        int[] a = Run(first);
        Assert.Equal(a, Run(new Sampler(o)));
        Assert.NotEqual(a, Run(new Sampler(o with { Seed = 43 })));
        first.Reset();
        Assert.Equal(a, Run(first));
    }

    [Fact]
    public void Sample_SteadyState_AllocatesNothing()
    {
        float[] logits = Rand.Floats(new Rng(15), 32_000, 4f);
        foreach (var o in new[] { SamplingOptions.Greedy, new SamplingOptions(), new SamplingOptions(0.8f, 40, 0.95f, 0.05f), new SamplingOptions(TopP: 0.9f), new SamplingOptions(MinP: 0.05f) })
        {
            var sampler = new Sampler(o);
            for (int n = 0; n < 3; n++) sampler.Sample(logits); // sizes the scratch
            Assert.Equal(0, SteadyAllocation.Bytes(() => sampler.Sample(logits), repeats: 5));
        }
    }

    [Fact]
    public void Sample_BadLogits_ThrowNamingTheEntry()
    {
        var sampler = new Sampler(new SamplingOptions());
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => sampler.Sample([])).Message);
        Assert.Contains("logits[2] = NaN", Assert.Throws<ArgumentException>(() => sampler.Sample([0f, 1f, float.NaN])).Message);
        Assert.Contains("logits[0] = +∞", Assert.Throws<ArgumentException>(() => sampler.Sample([float.PositiveInfinity, 1f])).Message);
        Assert.Contains("−∞", Assert.Throws<ArgumentException>(() => sampler.Sample([float.NegativeInfinity, float.NegativeInfinity])).Message);
    }
}
