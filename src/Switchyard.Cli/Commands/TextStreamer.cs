using System.Text;
using Switchyard.Data;
using Switchyard.Data.Tokenizers;

namespace Switchyard.Cli.Commands;

/// <summary>
/// Turns generated ids into text as they arrive (<see cref="IncrementalDecoder"/>: characters split across
/// tokens come out whole), holds back any tail that could still become a stop string, and stops at the first one.
/// </summary>
internal sealed class TextStreamer(ITokenizer tokenizer, IReadOnlyList<string> stops, TextWriter output)
{
    readonly IncrementalDecoder _decoder = new(tokenizer);
    readonly StringBuilder _text = new();
    readonly int _holdBack = stops.Where(s => s.Length > 0).Select(s => s.Length - 1).DefaultIfEmpty(0).Max();
    int _written;

    /// <summary>Whether a stop string ended generation.</summary>
    public bool StoppedByString { get; private set; }

    /// <summary>Takes the next id; returns false once a stop string has appeared.</summary>
    public bool Add(int id) => Append(_decoder.Add(id), final: false);

    /// <summary>Writes whatever is still held back (generation ended without a stop string).</summary>
    public void Flush()
    {
        if (!StoppedByString) Append(_decoder.Flush(), final: true);
    }

    bool Append(string piece, bool final)
    {
        _text.Append(piece);
        string text = _text.ToString();
        int cut = -1;
        foreach (string s in stops)
        {
            if (s.Length == 0) continue;
            // Only text from just before the last write can hold a new match.
            int at = text.IndexOf(s, Math.Max(0, _written - s.Length), StringComparison.Ordinal);
            if (at >= 0 && (cut < 0 || at < cut)) cut = at;
        }
        if (cut >= 0)
        {
            Write(text, cut);
            StoppedByString = true;
            return false;
        }
        Write(text, final ? text.Length : text.Length - _holdBack);
        return true;
    }

    void Write(string text, int end)
    {
        if (end <= _written) return;
        output.Write(text.AsSpan(_written, end - _written));
        output.Flush();
        _written = end;
    }
}
