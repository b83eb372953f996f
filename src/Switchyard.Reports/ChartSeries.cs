namespace Switchyard.Reports;

/// <summary>One polyline of a <see cref="LineChart"/>; points with a non-finite coordinate break the line.</summary>
/// <param name="Name">Legend text.</param>
/// <param name="X">X coordinates.</param>
/// <param name="Y">Y coordinates (as many as <paramref name="X"/>).</param>
/// <param name="Color">Line colour.</param>
/// <param name="Thickness">Line width in pixels.</param>
/// <param name="Dashed">Draw the line dashed.</param>
/// <param name="Markers">Mark each point with a small square.</param>
public sealed record ChartSeries(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y, Rgb Color,
    int Thickness = 2, bool Dashed = false, bool Markers = false);
