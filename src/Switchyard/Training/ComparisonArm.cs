namespace Switchyard.Training;

/// <summary>One side of a <see cref="RouterComparison"/>: a label (the row's name and run folder prefix) and the full recipe it trains.</summary>
/// <param name="Label">Row name, e.g. a router name or <see cref="RouterComparison.Dense"/>.</param>
/// <param name="Recipe">The recipe of this arm (its seed is the first seed).</param>
public sealed record ComparisonArm(string Label, Recipe Recipe);
