using System.IO.Compression;
using System.Reflection;
using System.Text;
using System.Text.Json;

namespace Switchyard.Data;

/// <summary>
/// Reads corpus files: JSON Lines, gzip-compressed or plain (detected by the gzip magic).
/// Two record shapes are understood:
/// <list type="bullet">
/// <item>a document: <c>{"id", "text", "domain"|"genre", "language", "family", "script", "task", "splitKey"}</c>
/// (only id and text are required);</item>
/// <item>a UDHR language: <c>{"code", "name", "family", "script", "articles": [preamble, art. 1, …]}</c>,
/// expanded into one document per article with ids <c>code/00</c> … <c>code/30</c>.</item>
/// </list>
/// </summary>
internal static class CorpusFile
{
    const string ResourcePrefix = "Switchyard.Data.";

    public static List<Document> ReadResource(string fileName)
    {
        using Stream raw = OpenResource(fileName);
        return Read(raw, fileName);
    }

    public static Stream OpenResource(string fileName) =>
        typeof(CorpusFile).Assembly.GetManifestResourceStream(ResourcePrefix + fileName)
        ?? throw new SwitchyardException($"embedded corpus '{fileName}' is missing from {typeof(CorpusFile).Assembly.GetName().Name}");

    public static List<Document> ReadFile(string path)
    {
        Stream raw;
        try { raw = File.OpenRead(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidCorpusFileException(path, 0, $"cannot open: {e.Message}", e);
        }
        using (raw) return Read(raw, path);
    }

    /// <summary>Opens a possibly gzip-compressed stream as UTF-8 text.</summary>
    public static StreamReader OpenText(Stream raw)
    {
        var buffered = new BufferedStream(raw, 1 << 16);
        Span<byte> magic = stackalloc byte[2];
        int n = buffered.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        buffered.Seek(0, SeekOrigin.Begin);
        Stream text = n == 2 && magic[0] == 0x1f && magic[1] == 0x8b ? new GZipStream(buffered, CompressionMode.Decompress) : buffered;
        // Invalid UTF-8 must fail loudly, not turn into U+FFFD in training text.
        return new StreamReader(text, new UTF8Encoding(false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: false);
    }

    public static List<Document> Read(Stream raw, string path)
    {
        if (!raw.CanSeek)
        {
            var copy = new MemoryStream();
            raw.CopyTo(copy);
            copy.Position = 0;
            raw = copy;
        }
        var docs = new List<Document>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        int lineNo = 0;
        using StreamReader reader = OpenText(raw);
        while (true)
        {
            string? line;
            try { line = reader.ReadLine(); }
            catch (Exception e) when (e is InvalidDataException or DecoderFallbackException)
            {
                throw new InvalidCorpusFileException(path, lineNo + 1, $"unreadable data: {e.Message}", e);
            }
            if (line is null) break;
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            int before = docs.Count;
            ParseLine(line, path, lineNo, docs);
            for (int i = before; i < docs.Count; i++)
                if (!ids.Add(docs[i].Id)) throw new InvalidCorpusFileException(path, lineNo, $"duplicate document id '{docs[i].Id}'");
        }
        if (docs.Count == 0) throw new InvalidCorpusFileException(path, 0, "no documents (expected one JSON object per line)");
        return docs;
    }

    static void ParseLine(string line, string path, int lineNo, List<Document> docs)
    {
        JsonDocument json;
        try { json = JsonDocument.Parse(line); }
        catch (JsonException e)
        {
            throw new InvalidCorpusFileException(path, lineNo, $"not valid JSON ({e.Message})", e);
        }
        using (json)
        {
            JsonElement root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new InvalidCorpusFileException(path, lineNo, $"expected a JSON object, found {root.ValueKind}");
            if (root.TryGetProperty("articles", out JsonElement articles))
                ParseUdhr(root, articles, path, lineNo, docs);
            else
                docs.Add(new Document
                {
                    Id = Required(root, "id", path, lineNo),
                    Text = Required(root, "text", path, lineNo),
                    Domain = Optional(root, "domain", path, lineNo) ?? Optional(root, "genre", path, lineNo),
                    Language = Optional(root, "language", path, lineNo),
                    Family = Optional(root, "family", path, lineNo),
                    Script = Optional(root, "script", path, lineNo),
                    Task = Optional(root, "task", path, lineNo),
                    SplitKey = Optional(root, "splitKey", path, lineNo) ?? Required(root, "id", path, lineNo),
                });
        }
    }

    static void ParseUdhr(JsonElement root, JsonElement articles, string path, int lineNo, List<Document> docs)
    {
        string code = Required(root, "code", path, lineNo);
        string? family = Optional(root, "family", path, lineNo);
        string? script = Optional(root, "script", path, lineNo);
        if (articles.ValueKind != JsonValueKind.Array)
            throw new InvalidCorpusFileException(path, lineNo, $"'articles' must be an array of strings, found {articles.ValueKind}");
        int n = 0;
        foreach (JsonElement a in articles.EnumerateArray())
        {
            if (a.ValueKind != JsonValueKind.String || a.GetString() is not { Length: > 0 } text)
                throw new InvalidCorpusFileException(path, lineNo, $"'articles[{n}]' of '{code}' must be a non-empty string");
            docs.Add(new Document
            {
                Id = $"{code}/{n:00}",
                Text = text,
                Domain = code,
                Language = code,
                Family = family,
                Script = script,
                // Article n of every language shares a key: translations stay on one side of a split.
                SplitKey = $"article/{n:00}",
            });
            n++;
        }
        if (n == 0) throw new InvalidCorpusFileException(path, lineNo, $"'articles' of '{code}' is empty");
    }

    static string Required(JsonElement root, string name, string path, int lineNo) =>
        Optional(root, name, path, lineNo) is { Length: > 0 } s ? s
            : throw new InvalidCorpusFileException(path, lineNo, $"missing required string field '{name}'");

    static string? Optional(JsonElement root, string name, string path, int lineNo)
    {
        if (!root.TryGetProperty(name, out JsonElement v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.String)
            throw new InvalidCorpusFileException(path, lineNo, $"field '{name}' must be a string, found {v.ValueKind}");
        return v.GetString();
    }
}
