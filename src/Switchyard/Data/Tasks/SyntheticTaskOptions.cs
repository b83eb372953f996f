namespace Switchyard.Data;

/// <summary>Sizes of the synthetic examples.</summary>
public sealed record SyntheticTaskOptions
{
    /// <summary>Shortest string for copy, reverse, sort, count (and half the shortest bracket string).</summary>
    public int MinLength { get; init; } = 1;

    /// <summary>Longest string for copy, reverse, sort, count and bracket strings.</summary>
    public int MaxLength { get; init; } = 8;

    /// <summary>Modulus of the modular arithmetic tasks (operands are in [0, Modulus)).</summary>
    public int Modulus { get; init; } = 23;

    /// <summary>Most digits per operand of <see cref="SyntheticTask.Add"/>.</summary>
    public int MaxAddDigits { get; init; } = 4;

    /// <summary>The defaults.</summary>
    public static SyntheticTaskOptions Default { get; } = new();

    internal void Validate()
    {
        if (MinLength < 1 || MaxLength < MinLength)
            throw new ArgumentOutOfRangeException(nameof(MaxLength), $"need 1 ≤ MinLength ≤ MaxLength, found {MinLength}..{MaxLength}");
        if (Modulus is < 2 or > 46340) throw new ArgumentOutOfRangeException(nameof(Modulus), Modulus, "must be in [2, 46340]");
        if (MaxAddDigits is < 1 or > 9) throw new ArgumentOutOfRangeException(nameof(MaxAddDigits), MaxAddDigits, "must be in [1, 9]");
    }
}
