using System.Text;
using System.Text.Json;

namespace Switchyard.Data;

/// <summary>
/// A byte-level BPE vocabulary: token strings by id (bytes spelled as in GPT-2's
/// byte-to-character table) and the merges in rank order. Saved as the Hugging Face /
/// GPT-2 pair <c>vocab.json</c> + <c>merges.txt</c> that <see cref="BpeTokenizer"/> loads.
/// </summary>
public sealed class BpeVocabulary
{
    internal BpeVocabulary(string[] tokens, (string Left, string Right)[] merges)
    {
        _tokens = tokens;
        _merges = merges;
    }

    /// <summary>The 256 bytes and the three special tokens, no merges: <see cref="ByteTokenizer"/>'s ids as a byte-level BPE vocabulary.</summary>
    public static BpeVocabulary BytesOnly()
    {
        var tokens = new string[ByteLevel.FirstMergeId];
        for (int b = 0; b < 256; b++) tokens[b] = ByteLevel.ByteToChar[b].ToString();
        tokens[ByteLevel.PadId] = ByteLevel.PadToken;
        tokens[ByteLevel.BosId] = ByteLevel.BosToken;
        tokens[ByteLevel.EosId] = ByteLevel.EosToken;
        return new BpeVocabulary(tokens, []);
    }

    readonly string[] _tokens;
    readonly (string Left, string Right)[] _merges;

    /// <summary>Token strings by id.</summary>
    public IReadOnlyList<string> Tokens => _tokens;

    /// <summary>Merges, highest priority first.</summary>
    public IReadOnlyList<(string Left, string Right)> Merges => _merges;

    /// <summary>Number of ids (bytes + specials + merges).</summary>
    public int Count => _tokens.Length;

    /// <summary>File name of the vocabulary inside a saved directory.</summary>
    public const string VocabFileName = "vocab.json";

    /// <summary>File name of the merges inside a saved directory.</summary>
    public const string MergesFileName = "merges.txt";

    /// <summary>Writes <c>vocab.json</c> and <c>merges.txt</c> into <paramref name="directory"/> (created if missing), each atomically.</summary>
    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        WriteAtomic(Path.Combine(directory, VocabFileName), stream =>
        {
            using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false });
            json.WriteStartObject();
            for (int id = 0; id < _tokens.Length; id++) json.WriteNumber(_tokens[id], id);
            json.WriteEndObject();
        });
        WriteAtomic(Path.Combine(directory, MergesFileName), stream =>
        {
            using var w = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true) { NewLine = "\n" };
            w.WriteLine("#version: 0.2");
            foreach (var (left, right) in _merges) w.WriteLine($"{left} {right}");
        });
    }

    // Temp file, flush, rename: a crash never leaves a half-written vocabulary behind.
    static void WriteAtomic(string path, Action<Stream> write)
    {
        string temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            write(stream);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }
}
