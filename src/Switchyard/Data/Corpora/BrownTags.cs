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
            int lineNo = 0;
            while (reader.ReadLine() is { } line)
            {
                lineNo++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                try
                {
                    using JsonDocument json = JsonDocument.Parse(line);
                    JsonElement r = json.RootElement;
                    string id = r.GetProperty("id").GetString()!;
                    string[] tags = r.GetProperty("tags").GetString()!.Split(' ');
                    int[] starts = Undelta(r.GetProperty("starts"));
                    int[] sentences = Undelta(r.GetProperty("sentences"));
                    if (starts.Length != tags.Length)
                        throw new InvalidCorpusFileException(path, lineNo, $"{tags.Length} tags but {starts.Length} starts");
                    docs.Add(new TaggedDocument(id, tags, starts, sentences));
                }
                catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
                {
                    throw new InvalidCorpusFileException(path, lineNo, $"malformed tag record ({e.Message})", e);
                }
            }
            return [.. docs];
        }
    }

    // Stored as deltas (small numbers gzip well); the running sum restores offsets.
    static int[] Undelta(JsonElement array)
    {
        var values = new int[array.GetArrayLength()];
        int sum = 0, i = 0;
        foreach (JsonElement v in array.EnumerateArray()) values[i++] = sum += v.GetInt32();
        return values;
    }
}
