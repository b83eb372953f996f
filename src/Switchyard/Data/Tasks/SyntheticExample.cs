namespace Switchyard.Data;

/// <summary>One synthetic example: <see cref="Prompt"/> ends with <c>=</c>, <see cref="Answer"/> ends with a newline.</summary>
/// <param name="Task">The task.</param>
/// <param name="Prompt">Task name, colon, input and <c>=</c>: what the model is given.</param>
/// <param name="Answer">What the model must produce, newline included (it must also learn to stop).</param>
public readonly record struct SyntheticExample(SyntheticTask Task, string Prompt, string Answer)
{
    /// <summary>The full line, prompt then answer.</summary>
    public string Text => Prompt + Answer;

    /// <summary>Where the answer sits in <see cref="Text"/>.</summary>
    public CharSpan AnswerSpan => new(Prompt.Length, Answer.Length);

    /// <summary>
    /// Token ids of the example and a loss mask that is 1 exactly on the answer's tokens.
    /// Prompt and answer are encoded separately so that no token straddles the boundary.
    /// </summary>
    public (int[] Ids, byte[] Mask) Encode(ITokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var ids = new List<int>();
        tokenizer.Encode(Prompt, ids);
        int promptTokens = ids.Count;
        tokenizer.Encode(Answer, ids);
        var mask = new byte[ids.Count];
        mask.AsSpan(promptTokens).Fill(1);
        return ([.. ids], mask);
    }
}
