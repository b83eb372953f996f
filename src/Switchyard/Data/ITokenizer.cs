namespace Switchyard.Data;

/// <summary>
/// Text ↔ token ids. Implementations are deterministic and their special ids (padding,
/// beginning and end of sequence) are part of the vocabulary but never produced by
/// <see cref="Encode(ReadOnlySpan{char}, List{int})"/> for ordinary text.
/// </summary>
/// <remarks>
/// Tokenizers of loaded checkpoints (<see cref="Tokenizers.PretrainedTokenizer"/>) may lack a padding or
/// beginning-of-sequence token: that id is then −1. They also encode an added token's string found in the
/// text (e.g. <c>&lt;|im_end|&gt;</c>) to its id, as Hugging Face tokenizers and llama.cpp do.
/// </remarks>
public interface ITokenizer
{
    /// <summary>Number of ids: every id is in [0, VocabSize).</summary>
    int VocabSize { get; }

    /// <summary>Id used to pad windows; never a target that counts toward the loss. −1 when the tokenizer has none.</summary>
    int PadId { get; }

    /// <summary>Beginning-of-sequence id, or −1 when the tokenizer has none.</summary>
    int BosId { get; }

    /// <summary>End-of-sequence id; the batcher puts it after every document. −1 when the tokenizer has none.</summary>
    int EosId { get; }

    /// <summary>Appends the ids of <paramref name="text"/> to <paramref name="ids"/>.</summary>
    void Encode(ReadOnlySpan<char> text, List<int> ids);

    /// <summary>The text of <paramref name="ids"/>; special ids are skipped.</summary>
    string Decode(ReadOnlySpan<int> ids);

    /// <summary>The ids of <paramref name="text"/>.</summary>
    int[] Encode(string text)
    {
        var ids = new List<int>(text.Length);
        Encode(text.AsSpan(), ids);
        return [.. ids];
    }
}
