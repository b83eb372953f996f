using Switchyard.Inference;
using static Switchyard.Tests.Inference.InferenceTestModels;

namespace Switchyard.Tests.Inference;

public sealed class GeneratorTests
{
    static readonly int[] Prompt = [1, 4, 7];

    [Theory]
    [InlineData("mixtral"), InlineData("qwen3-tied")]
    public void Generate_Greedy_IsArgmaxOfDecoderModelAtEveryStep(string variant)
    {
        var model = Create(variant);
        using var im = InferenceModel.FromModel(model);
        var result = new Generator(im).Generate(Prompt, 6, SamplingOptions.Greedy);
        Assert.Equal(6, result.Tokens.Length);
        Assert.Equal(StopReason.MaxTokens, result.Reason);
        var sequence = new List<int>(Prompt);
        int v = im.VocabSize;
        foreach (int token in result.Tokens)
        {
            float[] logits = ReferenceLogits(model, sequence.ToArray());
            var last = logits.AsSpan(logits.Length - v, v);
            Assert.Equal(last.IndexOf(MaxOf(last)), token);
            sequence.Add(token);
        }
    }

    static float MaxOf(ReadOnlySpan<float> x)
    {
        float m = float.NegativeInfinity;
        foreach (float f in x) m = Math.Max(m, f);
        return m;
    }

    [Fact]
    public void Generate_Greedy_IsDeterministic()
    {
        using var im = InferenceModel.FromModel(Create("qwen2_moe"));
        var g = new Generator(im);
        Assert.Equal(g.Generate(Prompt, 8, SamplingOptions.Greedy).Tokens, g.Generate(Prompt, 8, SamplingOptions.Greedy).Tokens);
    }

    [Fact]
    public void Generate_SampledWithSeed_IsDeterministic()
    {
        using var im = InferenceModel.FromModel(Create("olmoe-clip"));
        var options = new SamplingOptions { Temperature = 1.5f, TopK = 8, TopP = 0.95f, Seed = 42 };
        int[] a = new Generator(im).Generate(Prompt, 12, options).Tokens;
        int[] b = new Generator(im).Generate(Prompt, 12, options).Tokens;
        Assert.Equal(a, b);
        Assert.Equal(12, a.Length);
    }

    [Fact]
    public void Generate_StopToken_StopsBeforeIt()
    {
        using var im = InferenceModel.FromModel(Create("llama"));
        var g = new Generator(im);
        int[] free = g.Generate(Prompt, 8, SamplingOptions.Greedy).Tokens;
        int stop = free[2];
        int first = Array.IndexOf(free, stop);
        var result = g.Generate(Prompt, 8, SamplingOptions.Greedy, [stop]);
        Assert.Equal(StopReason.StopToken, result.Reason);
        Assert.Equal(free[..first], result.Tokens);
    }

    [Fact]
    public void Generate_CallbackSeesEachTokenAndCanStop()
    {
        using var im = InferenceModel.FromModel(Create("granitemoe"));
        var seen = new List<int>();
        var result = new Generator(im).Generate(Prompt, 8, SamplingOptions.Greedy, onToken: t => { seen.Add(t); return seen.Count < 3; });
        Assert.Equal(StopReason.Callback, result.Reason);
        Assert.Equal(seen, result.Tokens);
        Assert.Equal(3, seen.Count);
        Assert.Equal(2, result.DecodeSteps);
    }

    [Fact]
    public void Generate_ContextFull_Stops()
    {
        using var im = InferenceModel.FromModel(Create("llama"), new InferenceOptions { MaxContext = 6 });
        var result = new Generator(im).Generate(Prompt, 10, SamplingOptions.Greedy);
        Assert.Equal(StopReason.ContextFull, result.Reason);
        Assert.Equal(4, result.Tokens.Length); // 3 prompt + 3 decoded positions fill 6; the 4th token is sampled from the last logits
        Assert.Equal(3, result.PromptTokens);
    }
}
