using Switchyard.Tensors.Kernels;

namespace Switchyard.Tests.Tensors.Kernels;

public class ThrowHelperTests
{
    [Fact]
    public void CheckLength_Mismatch_NamesParameterAndBothLengths()
    {
        var e = Assert.Throws<ArgumentException>(() => ThrowHelper.CheckLength("y", 3, 4));
        Assert.Equal("y", e.ParamName);
        Assert.Contains("y has length 3, expected 4", e.Message);
    }

    [Fact]
    public void CheckSameLength_Mismatch_NamesBothSpans()
    {
        var e = Assert.Throws<ArgumentException>(() => ThrowHelper.CheckSameLength("dy", 3, "x", 4));
        Assert.Equal("dy", e.ParamName);
        Assert.Contains("dy has length 3, but x has length 4", e.Message);
    }

    [Fact]
    public void CheckLength_ProductMismatch_ShowsFactors()
    {
        var e = Assert.Throws<ArgumentException>(() => ThrowHelper.CheckLength("x", 5, "rows", 2, "cols", 3));
        Assert.Equal("x", e.ParamName);
        Assert.Contains("x has length 5, expected 6 (rows 2 × cols 3)", e.Message);
    }

    [Fact]
    public void CheckOnePer_Mismatch_SaysWhatItCounts()
    {
        var e = Assert.Throws<ArgumentException>(() => ThrowHelper.CheckOnePer("weight", 3, "column", 4));
        Assert.Contains("weight has length 3, expected 4 (one per column)", e.Message);
    }

    [Fact]
    public void CheckNonNegative_Negative_NamesTheArgumentExpression()
    {
        int rows = -1;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ThrowHelper.CheckNonNegative(rows));
        Assert.Equal("rows", e.ParamName);
        Assert.Equal(-1, e.ActualValue);
    }

    [Fact]
    public void CheckAtLeast_Below_NamesArgumentAndBound()
    {
        int heads = 0;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ThrowHelper.CheckAtLeast(heads, 1));
        Assert.Equal("heads", e.ParamName);
        Assert.Contains("heads must be at least 1", e.Message);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(-1e-9f)]
    [InlineData(float.PositiveInfinity)]
    public void CheckFiniteNonNegative_BadValue_Throws(float eps) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ThrowHelper.CheckFiniteNonNegative(eps));

    [Fact]
    public void CheckMatrixSize_ProductBeyondInt_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ThrowHelper.CheckMatrixSize(1 << 16, 1 << 16));

    [Fact]
    public void CheckIndices_OutOfRange_NamesPositionAndValue()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => ThrowHelper.CheckIndices("indices", [0, 2, 5], 3));
        Assert.Equal("indices", e.ParamName);
        Assert.Contains("indices[2] = 5 is outside [0, 3)", e.Message);
    }

    [Fact]
    public void Checks_ValidArguments_AllocateNothing()
    {
        // Given: every check once so the JIT and statics are warm
        int[] indices = [0, 1, 2];
        void All()
        {
            ThrowHelper.CheckLength("y", 4, 4);
            ThrowHelper.CheckSameLength("dy", 4, "x", 4);
            ThrowHelper.CheckLength("x", 6, "rows", 2, "cols", 3);
            ThrowHelper.CheckOnePer("weight", 3, "column", 3);
            ThrowHelper.CheckNonNegative(indices.Length);
            ThrowHelper.CheckAtLeast(indices.Length, 1);
            ThrowHelper.CheckFiniteNonNegative(1e-5f);
            ThrowHelper.CheckMatrixSize(2, 3);
            ThrowHelper.CheckIndices("indices", indices, 3);
        }
        All();

        // When
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 3; i++) All();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // Then: messages are built only when throwing
        Assert.Equal(0, allocated);
    }
}
