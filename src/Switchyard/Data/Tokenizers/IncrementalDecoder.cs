using System.Text;

namespace Switchyard.Data.Tokenizers;

/// <summary>
/// Streams text while ids arrive one by one (generation): each <see cref="Add"/> returns the text that is
/// complete so far and not yet returned. Bytes of a UTF-8 character split across tokens (byte-level BPE,
/// <c>&lt;0xNN&gt;</c> byte-fallback tokens) are held back until the character is complete; SentencePiece's
/// "▁" becomes a space and the dummy-prefix space at the very start is dropped. The concatenation of all
/// pieces and <see cref="Flush"/> equals <see cref="ITokenizer.Decode(ReadOnlySpan{int})"/> of all the ids.
/// </summary>
public sealed class IncrementalDecoder
{
    readonly ITokenizer _tokenizer;
    readonly ITokenBytes? _bytes;
    readonly bool _skipSpecialTokens;
    readonly Decoder _utf8 = Encoding.UTF8.GetDecoder();
    readonly List<int> _ids = []; // only for tokenizers without per-token bytes
    char[] _chars = new char[64];
    bool _atStart = true;
    int _emitted;

    /// <summary>Creates a decoder for <paramref name="tokenizer"/>; special tokens are skipped unless <paramref name="skipSpecialTokens"/> is false (our own tokenizers always skip them).</summary>
    public IncrementalDecoder(ITokenizer tokenizer, bool skipSpecialTokens = true)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _tokenizer = tokenizer;
        _bytes = tokenizer as ITokenBytes;
        _skipSpecialTokens = skipSpecialTokens;
    }

    /// <summary>Adds <paramref name="id"/> and returns the newly completed text (often empty mid-character).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is outside the vocabulary.</exception>
    public string Add(int id)
    {
        if (_bytes is null) return AddByRedecoding(id);
        ReadOnlySpan<byte> bytes = _bytes.TokenBytes(id, _skipSpecialTokens);
        return Emit(bytes, flush: false);
    }

    /// <summary>Ends the stream: bytes of an unfinished character come out as U+FFFD, as in a full decode. The decoder is then reset.</summary>
    public string Flush()
    {
        string rest;
        if (_bytes is null)
        {
            string all = _tokenizer.Decode(_ids.ToArray());
            rest = all.Length > _emitted ? all[_emitted..] : "";
        }
        else rest = Emit([], flush: true);
        Reset();
        return rest;
    }

    /// <summary>Forgets everything: the next id starts a new text.</summary>
    public void Reset()
    {
        _utf8.Reset();
        _ids.Clear();
        _atStart = true;
        _emitted = 0;
    }

    string Emit(ReadOnlySpan<byte> bytes, bool flush)
    {
        int need = _utf8.GetCharCount(bytes, flush: false) + 4;
        if (_chars.Length < need) _chars = new char[Math.Max(need, _chars.Length * 2)];
        int n = _utf8.GetChars(bytes, _chars, flush);
        if (n == 0) return "";
        int start = 0;
        if (_atStart)
        {
            // The dummy prefix: a full decode drops one leading space of the whole text.
            if (_bytes!.StripsLeadingSpace && _chars[0] == ' ') start = 1;
            _atStart = false;
        }
        return new string(_chars, start, n - start);
    }

    // Tokenizers that do not expose bytes: decode everything again and return what is new, holding back
    // a trailing U+FFFD that may be an incomplete character. Quadratic in the length; fine for short streams.
    string AddByRedecoding(int id)
    {
        if ((uint)id >= (uint)_tokenizer.VocabSize) throw new ArgumentOutOfRangeException(nameof(id), id, $"id outside the vocabulary [0, {_tokenizer.VocabSize})");
        _ids.Add(id);
        string all = _tokenizer.Decode(_ids.ToArray());
        int end = all.Length;
        while (end > _emitted && all[end - 1] == '\uFFFD') end--;
        if (end <= _emitted) return "";
        string piece = all[_emitted..end];
        _emitted = end;
        return piece;
    }
}
