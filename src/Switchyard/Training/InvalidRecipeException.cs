namespace Switchyard.Training;

/// <summary>
/// A recipe (or a flag overriding one) with a bad value. The message reads
/// <c>recipe.json: line 3: 'steps' must be a positive integer, found -5</c>.
/// </summary>
public sealed class InvalidRecipeException : SwitchyardException
{
    /// <summary>Creates the exception for a problem at <paramref name="line"/> (1-based; 0 = unknown) of <paramref name="source"/>.</summary>
    /// <param name="source">The recipe file, a flag such as <c>--steps</c>, or <c>recipe</c> for one built in code.</param>
    /// <param name="line">1-based line of the offending field, or 0 when not from a file.</param>
    /// <param name="problem">What is wrong, naming the field.</param>
    public InvalidRecipeException(string source, int line, string problem)
        : base(line > 0 ? $"{source}: line {line}: {problem}" : $"{source}: {problem}")
    {
        Source = source;
        Line = line;
        Problem = problem;
    }

    /// <summary>The file or flag the value came from.</summary>
    public new string Source { get; }

    /// <summary>1-based line, or 0.</summary>
    public int Line { get; }

    /// <summary>What is wrong.</summary>
    public string Problem { get; }
}
