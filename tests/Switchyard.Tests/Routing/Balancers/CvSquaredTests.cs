using Switchyard.Routing.Balancers;
using Switchyard.Tensors;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Routing.Balancers;

public class CvSquaredTests
{
    [Fact]
    public void Forward_IsUnbiasedVarianceOverMeanSquared()
    {
        double[] x = [1, 2, 3, 6];
        double mean = 3, variance = (4 + 1 + 0 + 9) / 3.0;
        Assert.Equal(variance / (mean * mean + 1e-10), CvSquared.Forward<double>(x), 1e-12);
        Assert.Equal(0, CvSquared.Forward<double>([5.0]));
        Assert.Equal(0, CvSquared.Forward<double>([2.0, 2.0, 2.0]), 1e-12); // perfect balance
    }

    [Fact]
    public void Backward_MatchesCentralDifferences_InFloat64()
    {
        double[] x = Rand.Doubles(new Rng(3), 7, scale: 2);
        for (int i = 0; i < x.Length; i++) x[i] += 3; // a positive load vector, mean away from 0
        var dx = new double[x.Length];
        CvSquared.Backward(x, 1.7, dx);
        double[] expected = GradCheck.Numeric(v => 1.7 * CvSquared.Forward<double>(v), x);
        GradCheck.AssertClose(expected, dx, 1e-7);
    }
}
