using Switchyard.Tensors;

namespace Switchyard.Tests.Tensors;

public class ShapeTests
{
    [Fact]
    public void Shape_Rank3_ReportsSizeRowsLast()
    {
        var s = new Shape(2, 3, 5);
        Assert.Equal(30, s.Size);
        Assert.Equal(6, s.Rows);
        Assert.Equal(5, s.Last);
        Assert.Equal(5, s[-1]);
        Assert.Equal("[2, 3, 5]", s.ToString());
    }

    [Fact]
    public void Shape_Default_IsTheScalarShape()
    {
        Assert.Equal(new Shape(), default);
        Assert.Equal(1, default(Shape).Size);
        Assert.Equal(0, new Shape(3, 0).Size);
    }

    [Fact]
    public void Shape_TooManyDims_Throws() =>
        Assert.Throws<ArgumentException>(() => new Shape(1, 2, 3, 4, 5));

    [Fact]
    public void Reshape_SizeDiffers_ThrowsNamingBothShapes()
    {
        var t = new Tensor(new Shape(2, 3));
        var e = Assert.Throws<ShapeMismatchException>(() => t.Reshape(new Shape(4, 2)));
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[4, 2]", e.Message);
    }
}
