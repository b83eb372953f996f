namespace Switchyard.Tensors.Kernels;

/// <summary>Argument checks shared by the norm and activation kernels; messages name the parameter and both sizes.</summary>
internal static class KernelChecks
{
    /// <summary>Throws unless <paramref name="actual"/> equals <paramref name="expected"/>.</summary>
    public static void Length(string name, int actual, string expectedName, int expected)
    {
        if (actual != expected)
            throw new ArgumentException($"{name} has {actual} elements but {expectedName} has {expected}; they must match.", name);
    }

    /// <summary>Throws unless a span of <paramref name="actual"/> elements holds exactly rows × cols.</summary>
    public static void Matrix(string name, int actual, int rows, int cols)
    {
        long expected = (long)rows * cols;
        if (actual != expected)
            throw new ArgumentException($"{name} has {actual} elements but rows × cols = {rows} × {cols} = {expected}.", name);
    }

    /// <summary>Throws unless a span of <paramref name="actual"/> elements holds exactly <paramref name="expected"/> (one per row or per column).</summary>
    public static void Vector(string name, int actual, string what, int expected)
    {
        if (actual != expected)
            throw new ArgumentException($"{name} has {actual} elements but needs one per {what} ({expected}).", name);
    }

    /// <summary>rows ≥ 0 and cols ≥ 1 (a norm over zero columns is undefined).</summary>
    public static void Sizes(int rows, int cols)
    {
        if (rows < 0) throw new ArgumentOutOfRangeException(nameof(rows), rows, "rows must not be negative.");
        if (cols < 1) throw new ArgumentOutOfRangeException(nameof(cols), cols, "cols must be at least 1.");
    }

    /// <summary>eps ≥ 0 and finite.</summary>
    public static void Epsilon(float eps)
    {
        if (!(eps >= 0f) || float.IsInfinity(eps))
            throw new ArgumentOutOfRangeException(nameof(eps), eps, "eps must be a finite number ≥ 0.");
    }
}
