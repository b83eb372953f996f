using System.Globalization;

namespace Switchyard.Inference;

/// <summary>
/// A number of bytes as users write it: <c>123456</c>, <c>512MB</c>, <c>1.5G</c>, <c>8GiB</c>, <c>8 gib</c>.
/// KB, MB, GB, TB are powers of 1000; KiB, MiB, GiB, TiB and the one-letter K, M, G, T are powers of
/// 1024 (as in <c>docker --memory</c>, <c>java -Xmx</c> and <c>sort -S</c>). Units are case-insensitive;
/// fractions are rounded to the nearest byte.
/// </summary>
/// <param name="Bytes">The size in bytes.</param>
public readonly record struct ByteSize(long Bytes)
{
    static readonly (string Unit, long Factor)[] Units =
    [
        ("B", 1),
        ("KB", 1000L), ("MB", 1000L * 1000), ("GB", 1000L * 1000 * 1000), ("TB", 1000L * 1000 * 1000 * 1000),
        ("KIB", 1L << 10), ("MIB", 1L << 20), ("GIB", 1L << 30), ("TIB", 1L << 40),
        ("K", 1L << 10), ("M", 1L << 20), ("G", 1L << 30), ("T", 1L << 40),
    ];

    /// <summary>Reads a size.</summary>
    /// <exception cref="InvalidByteSizeException">Not a non-negative number with a known unit, or over <see cref="long.MaxValue"/> bytes; the message lists the valid forms.</exception>
    public static ByteSize Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out ByteSize size, out string why) ? size : throw new InvalidByteSizeException(text, why);
    }

    /// <summary>Reads a size; false when <see cref="Parse"/> would throw.</summary>
    public static bool TryParse(string? text, out ByteSize size) => TryParse(text, out size, out _);

    static bool TryParse(string? text, out ByteSize size, out string why)
    {
        size = default;
        ReadOnlySpan<char> s = text.AsSpan().Trim();
        int end = 0;
        while (end < s.Length && (char.IsAsciiDigit(s[end]) || s[end] == '.')) end++;
        ReadOnlySpan<char> number = s[..end], unit = s[end..].TrimStart();
        if (number.IsEmpty)
        {
            why = s.IsEmpty ? "it is empty" : s[0] == '-' ? "it is negative" : "it does not start with a number";
            return false;
        }
        if (!decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal value))
        {
            why = $"'{number}' is not a number";
            return false;
        }
        long factor = 1;
        if (!unit.IsEmpty)
        {
            factor = 0;
            foreach (var (name, f) in Units)
                if (unit.Equals(name, StringComparison.OrdinalIgnoreCase)) factor = f;
            if (factor == 0)
            {
                why = $"unknown unit '{unit}'";
                return false;
            }
        }
        decimal bytes = Math.Round(value * factor, MidpointRounding.AwayFromZero);
        if (bytes > long.MaxValue)
        {
            why = "it is larger than 8 EiB";
            return false;
        }
        size = new ByteSize((long)bytes);
        why = "";
        return true;
    }

    /// <summary>The size in binary units with three significant digits, e.g. <c>1.50 GiB</c>, <c>512 B</c>.</summary>
    public override string ToString() => Format(Bytes);

    /// <summary>Formats a byte count as <see cref="ToString"/> does (negative counts keep their sign).</summary>
    public static string Format(long bytes)
    {
        if (bytes < 0) return "-" + Format(bytes == long.MinValue ? long.MaxValue : -bytes);
        if (bytes < 1024) return bytes.ToString(CultureInfo.InvariantCulture) + " B";
        string[] units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.Length - 1)
        {
            v /= 1024;
            u++;
        }
        string digits = v >= 100 ? v.ToString("F0", CultureInfo.InvariantCulture)
            : v >= 10 ? v.ToString("F1", CultureInfo.InvariantCulture)
            : v.ToString("F2", CultureInfo.InvariantCulture);
        return digits + " " + units[u];
    }
}
