using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Switchyard.Formats;

/// <summary>Helpers shared by the JSON-based readers: byte positions and short descriptions for error messages.</summary>
internal static class JsonText
{
    /// <summary>Index of the first byte that is not valid UTF-8, or -1 when all are valid.</summary>
    public static int FirstInvalidUtf8(ReadOnlySpan<byte> text)
    {
        if (Utf8.IsValid(text)) return -1;
        int i = 0;
        while (i < text.Length)
        {
            if (Rune.DecodeFromUtf8(text[i..], out _, out int consumed) != System.Buffers.OperationStatus.Done) return i;
            i += consumed;
        }
        return -1;
    }

    /// <summary>
    /// The byte index a <see cref="JsonException"/> points at. The reader reports line and column;
    /// a file offset needs the absolute index, so count lines the way the reader does (on '\n').
    /// </summary>
    public static long Position(ReadOnlySpan<byte> json, JsonException e)
    {
        long line = e.LineNumber ?? 0, column = e.BytePositionInLine ?? 0, start = 0;
        for (int i = 0; i < json.Length && line > 0; i++)
        {
            if (json[i] == (byte)'\n') { line--; start = i + 1; }
        }
        return Math.Min(start + column, json.Length);
    }

    /// <summary>The reader's message without its "LineNumber: … | BytePositionInLine: …" tail (we give the offset).</summary>
    public static string Describe(JsonException e)
    {
        string m = e.Message;
        int cut = m.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut >= 0) m = m[..cut];
        // Advice meant for the programmer configuring the reader, not for someone with a bad file.
        cut = m.IndexOf(" Change the reader options", StringComparison.Ordinal);
        if (cut >= 0) m = m[..cut];
        return m.TrimEnd('.', ' ');
    }

    /// <summary>A token type as a reader of the message would name it.</summary>
    public static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.EndArray => "the end of the array",
        JsonTokenType.EndObject => "the end of the object",
        _ => token.ToString(),
    };

    /// <summary>
    /// Reads the current string token. The reader only checks escapes lazily: an escaped lone
    /// surrogate (<c>"\ud800"</c>) surfaces here as an <see cref="InvalidOperationException"/>.
    /// </summary>
    public static bool TryGetString(ref Utf8JsonReader reader, out string value)
    {
        try
        {
            value = reader.GetString()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            value = "";
            return false;
        }
    }

    /// <summary>Quotes a string for a message, shortening very long ones (a corrupt name can be megabytes).</summary>
    public static string Quote(string s) => s.Length <= 200 ? $"'{s}'" : $"'{s[..200]}…' ({s.Length} chars)";
}
