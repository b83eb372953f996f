using System.Text;
using System.Text.Json;

namespace Switchyard.Data;

/// <summary>The Brown corpus part-of-speech tags, kept apart from the text for routing analysis (which expert sees nouns?).</summary>
public static class BrownTags
{
    static readonly Lazy<IReadOnlyList<TaggedDocument>> s_tags = new(() => Read(CorpusFile.OpenResource(Corpus.BrownTagsResource), Corpus.BrownTagsResource));

    /// <summary>Tags of all 500 Brown documents, in the order of <see cref="Corpus.Brown"/>. Loaded once and cached.</summary>
    public static IReadOnlyList<TaggedDocument> Load() => s_tags.Value;

    internal static TaggedDocument[] Read(Stream raw, string path)
    {
        using (raw)
        {
            var docs = new List<TaggedDocument>();
            using StreamReader reader = CorpusFile.OpenText(raw);
            var starts = new List<int>();
            var sentences = new List<int>();
            int lineNo = 0;
            while (reader.ReadLine() is { } line)
            {
                lineNo++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                try
                {
                    docs.Add(ParseRecord(Encoding.UTF8.GetBytes(line), starts, sentences, path, lineNo));
                }
                catch (JsonException e)
                {
                    throw new InvalidCorpusFileException(path, lineNo, $"malformed tag record ({e.Message})", e);
                }
            }
            return [.. docs];
        }
    }

    // A forward-only reader: 1.2 million numbers through JsonDocument took seconds.
    static TaggedDocument ParseRecord(byte[] utf8, List<int> starts, List<int> sentences, string path, int lineNo)
    {
        var json = new Utf8JsonReader(utf8);
        string? id = null, tags = null;
        bool haveStarts = false, haveSentences = false;
        if (!json.Read() || json.TokenType != JsonTokenType.StartObject)
            throw new InvalidCorpusFileException(path, lineNo, "expected a JSON object");
        while (json.Read() && json.TokenType == JsonTokenType.PropertyName)
        {
            string name = json.GetString()!;
            json.Read();
            switch (name)
            {
                case "id": id = json.GetString(); break;
                case "tags": tags = json.GetString(); break;
                case "starts": Undelta(ref json, starts); haveStarts = true; break;
                case "sentences": Undelta(ref json, sentences); haveSentences = true; break;
                default: json.Skip(); break;
            }
        }
        if (id is null || tags is null || !haveStarts || !haveSentences)
            throw new InvalidCorpusFileException(path, lineNo, "a tag record needs 'id', 'tags', 'starts' and 'sentences'");
        string[] tagArray = SplitInterned(tags);
        if (starts.Count != tagArray.Length)
            throw new InvalidCorpusFileException(path, lineNo, $"{tagArray.Length} tags but {starts.Count} starts");
        return new TaggedDocument(id, tagArray, [.. starts], [.. sentences]);
    }

    // ~470 distinct tags over 1.2 million tokens: share one string per tag.
    static readonly Dictionary<string, string> s_tagNames = new(StringComparer.Ordinal);

    static string[] SplitInterned(string tags)
    {
        var result = new string[tags.AsSpan().Count(' ') + 1];
        lock (s_tagNames)
        {
            var lookup = s_tagNames.GetAlternateLookup<ReadOnlySpan<char>>();
            int i = 0;
            foreach (Range r in tags.AsSpan().Split(' '))
            {
                ReadOnlySpan<char> tag = tags.AsSpan(r);
                if (!lookup.TryGetValue(tag, out string? name)) lookup[tag] = name = tag.ToString();
                result[i++] = name;
            }
        }
        return result;
    }

    // Stored as deltas (small numbers gzip well); the running sum restores offsets.
    static void Undelta(ref Utf8JsonReader json, List<int> values)
    {
        values.Clear();
        if (json.TokenType != JsonTokenType.StartArray) throw new JsonException("expected an array of integers");
        int sum = 0;
        while (json.Read() && json.TokenType != JsonTokenType.EndArray) values.Add(sum += json.GetInt32());
    }
}
