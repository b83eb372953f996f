namespace Switchyard.Data.Tokenizers;

/// <summary>GGUF's <c>tokenizer.ggml.token_type</c> values (llama.cpp's <c>llama_token_type</c>).</summary>
public enum GgufTokenType
{
    /// <summary>Not set.</summary>
    Undefined = 0,
    /// <summary>An ordinary vocabulary token.</summary>
    Normal = 1,
    /// <summary>The unknown token.</summary>
    Unknown = 2,
    /// <summary>A special (control) token such as BOS, EOS or a chat marker: skipped when decoding.</summary>
    Control = 3,
    /// <summary>An added token matched verbatim in text and decoded as its text.</summary>
    UserDefined = 4,
    /// <summary>A placeholder id.</summary>
    Unused = 5,
    /// <summary>A byte-fallback token <c>&lt;0xNN&gt;</c>.</summary>
    Byte = 6,
}
