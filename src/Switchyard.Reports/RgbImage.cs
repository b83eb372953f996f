namespace Switchyard.Reports;

/// <summary>
/// An RGB raster (3 bytes per pixel, row-major, top row first) with the few drawing primitives a
/// chart needs: rectangles, thick lines, dashes and bitmap text. Drawing outside is clipped.
/// </summary>
public sealed class RgbImage
{
    readonly byte[] _pixels;

    /// <summary>A <paramref name="width"/> × <paramref name="height"/> image filled with <paramref name="background"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive or the image exceeds 2²⁸ pixels.</exception>
    public RgbImage(int width, int height, Rgb background)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if ((long)width * height > 1 << 28) throw new ArgumentOutOfRangeException(nameof(height), $"{width} × {height} pixels is more than 2^28");
        Width = width;
        Height = height;
        _pixels = new byte[width * height * 3];
        FillRect(0, 0, width, height, background);
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>The pixels: R, G, B per pixel, row-major, top row first.</summary>
    public ReadOnlySpan<byte> Pixels => _pixels;

    /// <summary>The colour at (<paramref name="x"/>, <paramref name="y"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The point is outside the image.</exception>
    public Rgb this[int x, int y]
    {
        get
        {
            if ((uint)x >= (uint)Width) throw new ArgumentOutOfRangeException(nameof(x), $"{x} is outside 0..{Width - 1}");
            if ((uint)y >= (uint)Height) throw new ArgumentOutOfRangeException(nameof(y), $"{y} is outside 0..{Height - 1}");
            int i = (y * Width + x) * 3;
            return new Rgb(_pixels[i], _pixels[i + 1], _pixels[i + 2]);
        }
    }

    /// <summary>Sets one pixel; points outside are ignored.</summary>
    public void Set(int x, int y, Rgb color)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height) return;
        int i = (y * Width + x) * 3;
        _pixels[i] = color.R;
        _pixels[i + 1] = color.G;
        _pixels[i + 2] = color.B;
    }

    /// <summary>Fills the rectangle at (<paramref name="x"/>, <paramref name="y"/>) of the given size.</summary>
    public void FillRect(int x, int y, int width, int height, Rgb color)
    {
        int x0 = Math.Max(x, 0), y0 = Math.Max(y, 0), x1 = Math.Min(x + width, Width), y1 = Math.Min(y + height, Height);
        for (int py = y0; py < y1; py++)
            for (int px = x0; px < x1; px++) Set(px, py, color);
    }

    /// <summary>
    /// A line from (x0, y0) to (x1, y1), <paramref name="thickness"/> pixels wide; with
    /// <paramref name="dash"/> &gt; 0, drawn <paramref name="dash"/> pixels on, as many off.
    /// </summary>
    public void DrawLine(double x0, double y0, double x1, double y1, Rgb color, int thickness = 1, int dash = 0)
    {
        // Step one pixel at a time along the longer axis (DDA): simple, and thick lines stay even.
        double dx = x1 - x0, dy = y1 - y0;
        int n = (int)Math.Ceiling(Math.Max(Math.Abs(dx), Math.Abs(dy)));
        int lo = -(thickness - 1) / 2, hi = thickness / 2;
        for (int i = 0; i <= n; i++)
        {
            if (dash > 0 && i / dash % 2 == 1) continue;
            double t = n == 0 ? 0 : (double)i / n;
            int px = (int)Math.Round(x0 + t * dx), py = (int)Math.Round(y0 + t * dy);
            for (int oy = lo; oy <= hi; oy++)
                for (int ox = lo; ox <= hi; ox++) Set(px + ox, py + oy, color);
        }
    }

    /// <summary>Draws <paramref name="text"/> in the built-in 5×7 font with its top-left corner at (x, y), each font pixel <paramref name="scale"/>² pixels.</summary>
    public void DrawText(int x, int y, string text, Rgb color, int scale = 1)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (char c in text)
        {
            ReadOnlySpan<byte> columns = BitmapFont.Glyph(c);
            for (int col = 0; col < BitmapFont.GlyphWidth; col++)
                for (int row = 0; row < BitmapFont.GlyphHeight; row++)
                    if ((columns[col] >> row & 1) != 0) FillRect(x + col * scale, y + row * scale, scale, scale, color);
            x += BitmapFont.Advance * scale;
        }
    }

    /// <summary>Width in pixels of <paramref name="text"/> drawn at <paramref name="scale"/>.</summary>
    public static int TextWidth(string text, int scale = 1) =>
        text is null || text.Length == 0 ? 0 : (text.Length * BitmapFont.Advance - 1) * scale;
}
