using Switchyard.Data;

namespace Switchyard.Cli.Commands;

/// <summary>
/// Turns generated ids into text as they arrive: writes what is final, holds back an incomplete UTF-8
/// character and any tail that could still become a stop string, and stops at the first stop string.
/// </summary>
internal sealed class TextStreamer(ITokenizer tokenizer, IReadOnlyList<string> stops, TextWriter output)
{
    readonly List<int> _ids = [];
    readonly int _holdBack = stops.Count == 0 ? 0 : stops.Max(s => s.Length) - 1;
    string _text = "";
    int _written;

    /// <summary>Whether a stop string ended generation.</summary>
    public bool StoppedByString { get; private set; }

    /// <summary>Takes the next id; returns false once a stop string has appeared.</summary>
    public bool Add(int id)
    {
        _ids.Add(id);
        // Decoding the whole continuation keeps multi-token characters and merges right (quadratic, but CLI-sized).
        _text = tokenizer.Decode(_ids.ToArray());
        int cut = -1;
        foreach (string s in stops)
        {
            if (s.Length == 0) continue;
            int at = _text.IndexOf(s, StringComparison.Ordinal);
            if (at >= 0 && (cut < 0 || at < cut)) cut = at;
        }
        if (cut >= 0)
        {
            Write(cut);
            StoppedByString = true;
            return false;
        }
        int safe = _text.Length - _holdBack;
        // U+FFFD at the end is most likely half of a character whose other bytes come with the next token.
        while (safe > _written && safe <= _text.Length && safe > 0 && _text[safe - 1] == '\uFFFD') safe--;
        Write(safe);
        return true;
    }

    /// <summary>Writes whatever is still held back (generation ended without a stop string).</summary>
    public void Flush()
    {
        if (!StoppedByString) Write(_text.Length);
    }

    void Write(int end)
    {
        if (end <= _written) return;
        output.Write(_text.AsSpan(_written, end - _written));
        output.Flush();
        _written = end;
    }
}
