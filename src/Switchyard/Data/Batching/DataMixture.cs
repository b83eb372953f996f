namespace Switchyard.Data;

/// <summary>
/// Several corpus splits tokenized with one tokenizer, with their mixture weights and the
/// label ids batches carry. Build once; <see cref="TokenBatcher"/> samples training windows
/// from it and <see cref="EvaluationBatches"/> walks its validation parts.
/// </summary>
public sealed class DataMixture
{
    /// <summary>Tokenizes every component's train and validation documents.</summary>
    /// <exception cref="ArgumentException">No components, a duplicate name, or a weight that is not positive and finite.</exception>
    public DataMixture(ITokenizer tokenizer, IEnumerable<MixtureComponent> components)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(components);
        MixtureComponent[] list = [.. components];
        if (list.Length == 0) throw new ArgumentException("a mixture needs at least one component", nameof(components));
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (MixtureComponent c in list)
        {
            if (!names.Add(c.Name)) throw new ArgumentException($"two components named '{c.Name}'", nameof(components));
            if (!(c.Weight > 0 && double.IsFinite(c.Weight)))
                throw new ArgumentException($"component '{c.Name}' has weight {c.Weight}; weights must be positive and finite", nameof(components));
        }
        Tokenizer = tokenizer;
        Components = list;
        Labels = LabelSet.Build(list);
        _textTask = Labels.TaskId(LabelSet.TextTask);
        Train = new TokenStream[list.Length];
        Validation = new TokenStream[list.Length];
        for (int i = 0; i < list.Length; i++)
        {
            Train[i] = TokenStream.Build(list[i].Split.Train.Documents, tokenizer, Labels, i);
            Validation[i] = TokenStream.Build(list[i].Split.Validation.Documents, tokenizer, Labels, i);
        }
    }

    /// <summary>
    /// The bundled mixture: Brown (weight 0.5, split stratified by genre), UDHR (0.3, split by
    /// article across all languages) and the synthetic tasks (0.2; 2000 training and 200
    /// validation examples per task), all split with <paramref name="seed"/>.
    /// </summary>
    /// <param name="tokenizer">Defaults to <see cref="ByteTokenizer"/>.</param>
    /// <param name="seed">Chooses the held-out documents and generates the task examples.</param>
    /// <param name="validationFraction">Share of Brown documents and UDHR articles held out.</param>
    public static DataMixture Bundled(ITokenizer? tokenizer = null, ulong seed = 0, double validationFraction = 0.1) =>
        new(tokenizer ?? ByteTokenizer.Instance,
        [
            new MixtureComponent("brown", Corpus.Brown().Split(validationFraction, seed), 0.5),
            new MixtureComponent("udhr", Corpus.Udhr().Split(validationFraction, seed), 0.3),
            new MixtureComponent("tasks", SyntheticTasks.CreateSplit(2000, 200, seed), 0.2),
        ]);

    readonly int _textTask;

    /// <summary>The tokenizer all parts were encoded with.</summary>
    public ITokenizer Tokenizer { get; }

    /// <summary>The sources, in the order of <see cref="LabelSet.Sources"/>.</summary>
    public IReadOnlyList<MixtureComponent> Components { get; }

    /// <summary>Names behind the label ids.</summary>
    public LabelSet Labels { get; }

    internal TokenStream[] Train { get; }
    internal TokenStream[] Validation { get; }

    /// <summary>Tokens (EOS separators included) in the training part of source <paramref name="source"/>.</summary>
    public int TrainTokens(int source) => Train[source].Length;

    /// <summary>
    /// How often each token id occurs in the training parts of all sources (indexed by id, length
    /// <see cref="ITokenizer.VocabSize"/>): what frequency-balanced hash routing is built from.
    /// </summary>
    public long[] TrainTokenCounts()
    {
        var counts = new long[Tokenizer.VocabSize];
        foreach (TokenStream stream in Train)
            foreach (int id in stream.Tokens) counts[id]++;
        return counts;
    }

    /// <summary>Tokens (EOS separators included) in the validation part of source <paramref name="source"/>.</summary>
    public int ValidationTokens(int source) => Validation[source].Length;

    /// <summary>The validation parts as contiguous windows: see <see cref="EvaluationBatches"/>.</summary>
    public EvaluationBatches Evaluation(int batchSize, int sequenceLength) => new(this, batchSize, sequenceLength);

    /// <summary>Copies one window of <paramref name="stream"/> starting at token <paramref name="start"/> into row <paramref name="row"/>; positions past the end become padding.</summary>
    internal void FillRow(TokenStream stream, int start, TokenBatch batch, int row)
    {
        int T = batch.SequenceLength, o = row * T;
        int valid = Math.Clamp(stream.Length - 1 - start, 0, T); // targets available
        int doc = valid > 0 ? stream.DocumentAt(start + 1) : 0;
        int[] tokens = stream.Tokens;
        for (int t = 0; t < valid; t++)
        {
            int p = start + t + 1;
            while (p >= stream.DocStarts[doc + 1]) doc++;
            batch.Inputs[o + t] = tokens[p - 1];
            batch.Targets[o + t] = tokens[p];
            batch.Sources[o + t] = stream.Source;
            batch.Domains[o + t] = stream.DocDomain[doc];
            batch.Tasks[o + t] = stream.DocTask[doc];
            batch.Languages[o + t] = stream.DocLanguage[doc];
            batch.Families[o + t] = Labels.FamilyId(stream.DocLanguage[doc]);
            batch.LossMask[o + t] = stream.Mask is null ? 1f : stream.Mask[p];
            bool task = stream.DocTask[doc] != _textTask;
            batch.Modalities[o + t] = task ? LabelSet.TaskModality : LabelSet.TextModality;
            batch.Roles[o + t] = !task ? LabelSet.TextRole : batch.LossMask[o + t] != 0f ? LabelSet.AnswerRole : LabelSet.PromptRole;
        }
        int pad = Tokenizer.PadId;
        for (int t = valid; t < T; t++)
        {
            batch.Inputs[o + t] = t == valid && valid > 0 ? tokens[start + valid] : pad;
            batch.Targets[o + t] = pad;
            batch.Sources[o + t] = batch.Domains[o + t] = batch.Tasks[o + t] = batch.Languages[o + t] = batch.Families[o + t] = batch.Modalities[o + t] = batch.Roles[o + t] = -1;
            batch.LossMask[o + t] = 0f;
        }
    }
}
