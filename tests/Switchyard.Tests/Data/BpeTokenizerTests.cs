using Switchyard.Data;

namespace Switchyard.Tests.Data;

public sealed class BpeTokenizerTests : IDisposable
{
    readonly string _dir = Path.Combine(Path.GetTempPath(), "switchyard-bpe-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    // Trained once for the class: the tests check what is done with a vocabulary, not training speed.
    static readonly Lazy<BpeVocabulary> s_vocab600 = new(() => BpeTrainer.Train(TrainingTexts(), vocabSize: 600));

    static IEnumerable<string> TrainingTexts()
    {
        CorpusSplit brown = Corpus.Brown().Split(0.1, seed: 1);
        CorpusSplit udhr = Corpus.Udhr().Split(0.1, seed: 1);
        // A slice keeps training to well under a second.
        return brown.Train.Documents.Take(20).Select(d => d.Text)
            .Concat(udhr.Train.Documents.Where(d => d.Id.EndsWith("/01") || d.Id.EndsWith("/02")).Select(d => d.Text));
    }

    public static TheoryData<string> RoundTripTexts() =>
    [
        "The jury said it believes \"these two offices should be combined\".",
        "Toute personne a droit à la liberté d'opinion et d'expression.",
        "Все люди рождаются свободными и равными в своем достоинстве и правах.",
        "人人生而自由，在尊严和权利上一律平等。",
        "सभी मनुष्यों को गौरव और अधिकारों के मामले में जन्मजात स्वतन्त्रता प्राप्त है।",
        "rev:abc=cba\nmadd:17+9%23=3\n",
        "  leading and trailing spaces  \n\n\ttab",
        "emoji 🚂 and a lone \u00a0 nbsp",
        "",
    ];

    [Theory, MemberData(nameof(RoundTripTexts))]
    public void TrainSaveLoad_AnyText_RoundTrips(string text)
    {
        // Given a vocabulary trained by our trainer and saved as vocab.json + merges.txt
        BpeVocabulary vocab = s_vocab600.Value;
        vocab.Save(_dir);

        // When Microsoft.ML.Tokenizers loads and encodes with it
        ITokenizer tok = BpeTokenizer.Load(_dir);
        int[] ids = tok.Encode(text);

        // Then decoding gives the text back and ids are in range
        Assert.Equal(text, tok.Decode(ids));
        Assert.All(ids, id => Assert.InRange(id, 0, tok.VocabSize - 1));
    }

    [Fact]
    public void Encode_TrainedVocabulary_CompressesEnglishBelowBytes()
    {
        BpeVocabulary vocab = s_vocab600.Value;
        ITokenizer tok = BpeTokenizer.Create(vocab);
        string text = Corpus.Brown().Documents[^1].Text;

        int[] ids = tok.Encode(text);

        Assert.Equal(600, tok.VocabSize);
        Assert.True(ids.Length < 0.6 * text.Length, $"{ids.Length} tokens for {text.Length} chars");
        Assert.Contains(ids, id => id >= 259); // merges are used
    }

    [Fact]
    public void Train_SameInput_SameMerges()
    {
        BpeVocabulary a = BpeTrainer.Train(TrainingTexts(), vocabSize: 400);
        BpeVocabulary b = BpeTrainer.Train(TrainingTexts(), vocabSize: 400);
        Assert.Equal(a.Merges, b.Merges);
        Assert.Equal(400, a.Count);
    }

    [Fact]
    public void Train_MergesMatchOurOwnGreedyEncodingOfFrequentWord()
    {
        // "the" with a leading space is the most frequent English word: it must be one token.
        BpeVocabulary vocab = s_vocab600.Value;
        ITokenizer tok = BpeTokenizer.Create(vocab);
        int[] ids = tok.Encode(" the");
        Assert.Single(ids);
        Assert.Equal("Ġthe", vocab.Tokens[ids[0]]);
    }

    [Fact]
    public void TaskStream_WithBpe_MaskCoversExactlyTheAnswers()
    {
        // Given synthetic documents and a BPE vocabulary whose merges could span '=' boundaries
        CorpusSplit tasks = SyntheticTasks.CreateSplit(30, 5, seed: 3);
        BpeVocabulary vocab = BpeTrainer.Train(tasks.Train.Documents.Select(d => d.Text), vocabSize: 400, minFrequency: 1);
        ITokenizer tok = BpeTokenizer.Create(vocab);
        var mixture = new DataMixture(tok, [new MixtureComponent("tasks", tasks, 1)]);

        // When the training stream is built, then each document's masked tokens decode to its answer
        TokenStream stream = mixture.Train[0];
        for (int d = 0; d < stream.Documents; d++)
        {
            Document doc = tasks.Train.Documents[d];
            var answer = new List<int>();
            for (int p = stream.DocStarts[d]; p < stream.DocStarts[d + 1]; p++)
                if (stream.Mask![p] == 1) answer.Add(stream.Tokens[p]);
            Assert.Equal(doc.Text[doc.Answers[0].Start..], tok.Decode(answer.ToArray()));
        }
    }

    [Fact]
    public void Load_MissingFile_ThrowsNamingIt()
    {
        var e = Assert.Throws<SwitchyardException>(() => BpeTokenizer.Load(_dir));
        Assert.Contains("vocab.json", e.Message);
    }

    [Fact]
    public void Train_VocabSizeBelowBase_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => BpeTrainer.Train(["abc"], vocabSize: 100));
}
