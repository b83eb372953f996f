namespace Switchyard.Tensors;

/// <summary>Shapes that do not fit together at a public API boundary; the message names both.</summary>
public sealed class ShapeMismatchException : SwitchyardException
{
    /// <summary>Creates the exception for an operation, naming the shape expected and the shape found.</summary>
    public ShapeMismatchException(string operation, string expected, string found)
        : base($"{operation}: expected shape {expected}, found {found}") { }

    internal static void ThrowIf(bool bad, string operation, Shape expected, Shape found)
    {
        if (bad) throw new ShapeMismatchException(operation, expected.ToString(), found.ToString());
    }
}
