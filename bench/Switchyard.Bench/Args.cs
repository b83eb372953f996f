using System.Globalization;

namespace Switchyard.Bench;

/// <summary>Reads <c>--name value</c> pairs of a case's arguments; a malformed value ends the run with one error line.</summary>
internal static class Args
{
    public static double Double(string[] args, string name, double fallback)
    {
        int i = Array.IndexOf(args, name);
        if (i < 0) return fallback;
        if (i + 1 < args.Length && double.TryParse(args[i + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out double v)) return v;
        throw new BenchArgumentException($"{name} needs a number, found '{(i + 1 < args.Length ? args[i + 1] : "nothing")}'");
    }

    public static int Int(string[] args, string name, int fallback)
    {
        double v = Double(args, name, fallback);
        if (v != Math.Floor(v) || v < 1 || v > int.MaxValue) throw new BenchArgumentException($"{name} needs a positive whole number, found {v}");
        return (int)v;
    }
}

/// <summary>A bad benchmark argument: printed as one line, exit code 2.</summary>
internal sealed class BenchArgumentException(string message) : Exception(message);
