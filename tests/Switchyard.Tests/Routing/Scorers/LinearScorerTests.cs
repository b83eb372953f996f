using Switchyard.Autograd;
using Switchyard.Routing;
using Switchyard.Routing.Scorers;
using Switchyard.Tensors;

namespace Switchyard.Tests.Routing.Scorers;

public class LinearScorerTests
{
    [Theory]
    [InlineData(0.01f, false)]
    [InlineData(0f, true)]
    public void Score_JitterOrNoise_OnlyWhileTraining(float jitter, bool noisy)
    {
        var scorer = new LinearScorer(3, 4, new Rng(1), jitter: jitter, noisy: noisy);
        if (noisy) new Rng(4).FillNormal(scorer.NoiseWeight!.Value.Span);
        var x = new Tensor(new Shape(2, 3));
        new Rng(2).FillNormal(x.Span);
        var tape = new Tape(4096);
        float[] Score(bool training) => scorer.Score(tape, tape.Constant(x), new RoutingContext(new Rng(3)) { Training = training }).Value.ToArray();

        float[] clean = tape.Linear(tape.Constant(x), tape.Constant(scorer.Weight.Value)).Value.ToArray();
        Assert.Equal(clean, Score(training: false));
        float[] noisyScores = Score(training: true);
        Assert.NotEqual(clean, noisyScores);
        Assert.Equal(noisyScores, Score(training: true)); // same seed → same noise
    }

    [Fact]
    public void Score_WrongWidth_Throws()
    {
        var tape = new Tape(4096);
        Assert.Throws<ShapeMismatchException>(() => new LinearScorer(3, 2, new Rng(1)).Score(tape, tape.Constant(new Tensor(new Shape(2, 4))), new RoutingContext(new Rng(1))));
    }

    [Fact]
    public void NamedParameters_HuggingFaceGateLayout()
    {
        var scorer = new LinearScorer(3, 4, new Rng(1), noisy: true);
        Assert.Equal(["weight", "noise_weight"], scorer.NamedParameters().Select(p => p.Name).ToArray());
        Assert.Equal(new Shape(4, 3), scorer.Weight.Shape); // [E, d] as HF gate.weight
    }
}
