using System.Text.Encodings.Web;
using System.Text.Json;

namespace Switchyard.Data.Tokenizers;

/// <summary>
/// Writes Switchyard's own tokenizers in Hugging Face form — <c>tokenizer.json</c>, <c>tokenizer_config.json</c>
/// and <c>special_tokens_map.json</c> — so that an exported model folder loads in transformers
/// (<c>AutoTokenizer</c>) and transformers.js, and <see cref="HfTokenizer.Load"/> gives back the same ids.
/// </summary>
public static class TokenizerFiles
{
    /// <summary>The configuration file written beside <c>tokenizer.json</c>.</summary>
    public const string SpecialTokensMapFileName = "special_tokens_map.json";

    /// <summary>Writes <paramref name="tokenizer"/> (a <see cref="ByteTokenizer"/> or <see cref="BpeTokenizer"/>) into <paramref name="directory"/> (created if missing), each file atomically.</summary>
    /// <param name="directory">The model folder.</param>
    /// <param name="tokenizer">The tokenizer the model was trained with.</param>
    /// <param name="modelMaxLength">The model's context length, written as <c>model_max_length</c>; null leaves transformers' default.</param>
    /// <exception cref="NotSupportedException">Another kind of tokenizer.</exception>
    public static void Write(string directory, ITokenizer tokenizer, int? modelMaxLength = null)
    {
        BpeVocabulary vocabulary = tokenizer switch
        {
            null => throw new ArgumentNullException(nameof(tokenizer)),
            ByteTokenizer => BpeVocabulary.BytesOnly(),
            BpeTokenizer b => b.Vocabulary,
            _ => throw new NotSupportedException($"{tokenizer.GetType().Name} cannot be written as tokenizer.json (only ByteTokenizer and BpeTokenizer)"),
        };
        Write(directory, vocabulary, modelMaxLength);
    }

    /// <summary>Writes a byte-level BPE vocabulary (ids 0–255 bytes, 256–258 pad/bos/eos, then merges) as Hugging Face files.</summary>
    public static void Write(string directory, BpeVocabulary vocabulary, int? modelMaxLength = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(vocabulary);
        Directory.CreateDirectory(directory);
        (string Token, int Id)[] specials = [(ByteLevel.PadToken, ByteLevel.PadId), (ByteLevel.BosToken, ByteLevel.BosId), (ByteLevel.EosToken, ByteLevel.EosId)];

        WriteJson(Path.Combine(directory, HfTokenizer.FileName), w =>
        {
            w.WriteStartObject();
            w.WriteString("version", "1.0");
            w.WriteNull("truncation");
            w.WriteNull("padding");
            w.WriteStartArray("added_tokens");
            foreach (var (token, id) in specials) AddedToken(w, token, id, writeId: true);
            w.WriteEndArray();
            w.WriteNull("normalizer");
            // Our pre-tokenizer regex, then ByteLevel only for the byte → character mapping.
            w.WriteStartObject("pre_tokenizer");
            w.WriteString("type", "Sequence");
            w.WriteStartArray("pretokenizers");
            w.WriteStartObject();
            w.WriteString("type", "Split");
            w.WriteStartObject("pattern");
            w.WriteString("Regex", ByteLevel.PreTokenizerSource);
            w.WriteEndObject();
            w.WriteString("behavior", "Isolated");
            w.WriteBoolean("invert", false);
            w.WriteEndObject();
            ByteLevelStep(w, null);
            w.WriteEndArray();
            w.WriteEndObject();
            ByteLevelStep(w, "post_processor"); // adds nothing: Switchyard models are trained without BOS
            ByteLevelStep(w, "decoder");
            w.WriteStartObject("model");
            w.WriteString("type", "BPE");
            w.WriteNull("dropout");
            w.WriteNull("unk_token");
            w.WriteNull("continuing_subword_prefix");
            w.WriteNull("end_of_word_suffix");
            w.WriteBoolean("fuse_unk", false);
            w.WriteBoolean("byte_fallback", false);
            w.WriteBoolean("ignore_merges", false);
            w.WriteStartObject("vocab");
            for (int id = 0; id < vocabulary.Count; id++) w.WriteNumber(vocabulary.Tokens[id], id);
            w.WriteEndObject();
            w.WriteStartArray("merges");
            foreach (var (left, right) in vocabulary.Merges) w.WriteStringValue($"{left} {right}");
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        });

        WriteJson(Path.Combine(directory, HfTokenizer.ConfigFileName), w =>
        {
            w.WriteStartObject();
            w.WriteBoolean("add_bos_token", false);
            w.WriteBoolean("add_eos_token", false);
            w.WriteStartObject("added_tokens_decoder");
            foreach (var (token, id) in specials)
            {
                w.WritePropertyName(id.ToString(System.Globalization.CultureInfo.InvariantCulture));
                AddedToken(w, token, id, writeId: false);
            }
            w.WriteEndObject();
            w.WriteString("bos_token", ByteLevel.BosToken);
            w.WriteString("eos_token", ByteLevel.EosToken);
            w.WriteString("pad_token", ByteLevel.PadToken);
            w.WriteNull("unk_token");
            w.WriteBoolean("clean_up_tokenization_spaces", false);
            if (modelMaxLength is int max) w.WriteNumber("model_max_length", max);
            w.WriteString("tokenizer_class", "PreTrainedTokenizerFast");
            w.WriteEndObject();
        });

        WriteJson(Path.Combine(directory, SpecialTokensMapFileName), w =>
        {
            w.WriteStartObject();
            w.WriteString("bos_token", ByteLevel.BosToken);
            w.WriteString("eos_token", ByteLevel.EosToken);
            w.WriteString("pad_token", ByteLevel.PadToken);
            w.WriteEndObject();
        });
    }

    static void AddedToken(Utf8JsonWriter w, string token, int id, bool writeId)
    {
        w.WriteStartObject();
        if (writeId) w.WriteNumber("id", id);
        w.WriteString("content", token);
        w.WriteBoolean("single_word", false);
        w.WriteBoolean("lstrip", false);
        w.WriteBoolean("rstrip", false);
        w.WriteBoolean("normalized", false);
        w.WriteBoolean("special", true);
        w.WriteEndObject();
    }

    static void ByteLevelStep(Utf8JsonWriter w, string? property)
    {
        if (property is null) w.WriteStartObject(); else w.WriteStartObject(property);
        w.WriteString("type", "ByteLevel");
        w.WriteBoolean("add_prefix_space", false);
        w.WriteBoolean("trim_offsets", false);
        w.WriteBoolean("use_regex", false);
        w.WriteEndObject();
    }

    // Temp file, flush, rename: an interrupted export never leaves a half-written file behind.
    static void WriteJson(string path, Action<Utf8JsonWriter> write)
    {
        string temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
                write(w);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }
}
