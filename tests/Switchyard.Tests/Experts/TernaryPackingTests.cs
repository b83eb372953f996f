using Switchyard.Experts;
using Switchyard.Tensors;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Experts;

public class TernaryPackingTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(64)]
    public void Unpack_OfPack_IsTheTernarisedMatrix(int n)
    {
        float[] w = Rand.Floats(new Rng((ulong)n), n), expected = new float[n], got = new float[n];
        float alpha = TernaryExperts.Ternarize(w, expected);
        var packed = new byte[TernaryPacking.PackedLength(n)];
        Assert.Equal(alpha, TernaryPacking.Pack(w, packed));
        TernaryPacking.Unpack(packed, alpha, got);
        Assert.Equal(expected, got);
    }

    [Fact]
    public void Unpack_CodeThree_Throws() =>
        Assert.Throws<ArgumentException>(() => TernaryPacking.Unpack([0b11], 1f, new float[1]));
}
