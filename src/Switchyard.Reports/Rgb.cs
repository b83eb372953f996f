namespace Switchyard.Reports;

/// <summary>An 8-bit-per-channel sRGB colour.</summary>
/// <param name="R">Red.</param>
/// <param name="G">Green.</param>
/// <param name="B">Blue.</param>
public readonly record struct Rgb(byte R, byte G, byte B)
{
    /// <summary>White.</summary>
    public static Rgb White => new(255, 255, 255);

    /// <summary>Black.</summary>
    public static Rgb Black => new(0, 0, 0);

    /// <summary>
    /// Ten distinct series colours (matplotlib's "tab10", chosen for telling lines apart, also in
    /// print); <see cref="Series"/> cycles through them.
    /// </summary>
    public static IReadOnlyList<Rgb> Palette { get; } =
    [
        new(31, 119, 180), new(255, 127, 14), new(44, 160, 44), new(214, 39, 40), new(148, 103, 189),
        new(140, 86, 75), new(227, 119, 194), new(127, 127, 127), new(188, 189, 34), new(23, 190, 207),
    ];

    /// <summary>The <paramref name="index"/>-th series colour (cycling through <see cref="Palette"/>).</summary>
    public static Rgb Series(int index) => Palette[(int)((uint)index % (uint)Palette.Count)];

    /// <summary>This colour mixed with white: <paramref name="amount"/> 0 = unchanged, 1 = white.</summary>
    public Rgb Lighten(double amount) => new(Mix(R, amount), Mix(G, amount), Mix(B, amount));

    static byte Mix(byte c, double amount) => (byte)Math.Round(c + (255 - c) * Math.Clamp(amount, 0, 1));
}
