using System.Text;
using Switchyard.Data.Tokenizers;

namespace Switchyard.Data;

/// <summary>
/// The default tokenizer: one id per UTF-8 byte (0–255), then <see cref="PadId"/> = 256,
/// <see cref="BosId"/> = 257, <see cref="EosId"/> = 258. Needs no training, covers every
/// language and script, and keeps the vocabulary (and so the embedding) tiny.
/// </summary>
public sealed class ByteTokenizer : ITokenizer, ITokenBytes
{
    static readonly byte[] s_bytes = [.. Enumerable.Range(0, 256).Select(b => (byte)b)];

    /// <summary>The shared instance (the tokenizer has no state).</summary>
    public static ByteTokenizer Instance { get; } = new();

    /// <inheritdoc/>
    public int VocabSize => 259;

    /// <inheritdoc/>
    public int PadId => 256;

    /// <inheritdoc/>
    public int BosId => 257;

    /// <inheritdoc/>
    public int EosId => 258;

    /// <summary>The ids of <paramref name="text"/> (the interface's default method, callable on the class too).</summary>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length);
        Encode(text.AsSpan(), ids);
        return [.. ids];
    }

    /// <inheritdoc/>
    public void Encode(ReadOnlySpan<char> text, List<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        int count = Encoding.UTF8.GetByteCount(text);
        byte[]? rented = null;
        Span<byte> bytes = count <= 1024 ? stackalloc byte[count] : (rented = System.Buffers.ArrayPool<byte>.Shared.Rent(count));
        try
        {
            int n = Encoding.UTF8.GetBytes(text, bytes);
            ids.EnsureCapacity(ids.Count + n);
            for (int i = 0; i < n; i++) ids.Add(bytes[i]);
        }
        finally
        {
            if (rented is not null) System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <inheritdoc/>
    /// <remarks>Byte sequences that are not valid UTF-8 (e.g. a window cut inside a character) decode to U+FFFD.</remarks>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var bytes = new byte[ids.Length];
        int n = 0;
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)VocabSize) throw new ArgumentOutOfRangeException(nameof(ids), id, $"id outside the vocabulary [0, {VocabSize})");
            if (id < 256) bytes[n++] = (byte)id;
        }
        return Encoding.UTF8.GetString(bytes, 0, n);
    }

    /// <summary>The byte of <paramref name="id"/> (empty for the special ids, which are always skipped).</summary>
    public ReadOnlySpan<byte> TokenBytes(int id, bool skipSpecialTokens)
    {
        if ((uint)id >= (uint)VocabSize) throw new ArgumentOutOfRangeException(nameof(id), id, $"id outside the vocabulary [0, {VocabSize})");
        return id < 256 ? s_bytes.AsSpan(id, 1) : default;
    }

    bool ITokenBytes.StripsLeadingSpace => false;
}
