using Switchyard.Data;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Data;

public sealed class TokenBatcherTests
{
    // Small slices keep tokenizing cheap; the code paths are the same as for full corpora.
    static readonly Lazy<DataMixture> s_mixture = new(() =>
    {
        Corpus brown = new("brown", Corpus.Brown().Documents.Where((_, i) => i % 10 == 0));
        Corpus udhr = new("udhr", Corpus.Udhr().Documents.Where(d => d.Language is "eng" or "rus" or "cmn_hans" or "swh"));
        return new DataMixture(ByteTokenizer.Instance,
        [
            new MixtureComponent("brown", brown.Split(0.2, seed: 1), 0.5),
            new MixtureComponent("udhr", udhr.Split(0.1, seed: 1), 0.3),
            new MixtureComponent("tasks", SyntheticTasks.CreateSplit(200, 20, seed: 1), 0.2),
        ]);
    });

    static DataMixture Mixture => s_mixture.Value;

    static int[][] Snapshot(TokenBatch b) =>
        [[.. b.Inputs], [.. b.Targets], [.. b.Sources], [.. b.Domains], [.. b.Tasks], [.. b.Languages], [.. b.LossMask.Select(m => (int)m)]];

    [Fact]
    public void Next_SameSeed_SameBatches()
    {
        var a = new TokenBatcher(Mixture, batchSize: 4, sequenceLength: 32, seed: 7);
        var b = new TokenBatcher(Mixture, batchSize: 4, sequenceLength: 32, seed: 7);
        var c = new TokenBatcher(Mixture, batchSize: 4, sequenceLength: 32, seed: 8);
        for (int i = 0; i < 20; i++)
        {
            int[][] x = Snapshot(a.Next());
            Assert.Equal(x, Snapshot(b.Next()));
            if (i == 0) Assert.NotEqual(x[0], Snapshot(c.Next())[0]);
        }
    }

    [Fact]
    public void State_SavedAndRestored_ContinuesIdentically()
    {
        // Given a batcher that has drawn some batches
        var a = new TokenBatcher(Mixture, 4, 32, seed: 3);
        for (int i = 0; i < 5; i++) a.Next();
        TokenBatcherState saved = a.State;
        int[][][] expected = [.. Enumerable.Range(0, 5).Select(_ => Snapshot(a.Next()))];

        // When a fresh batcher (other seed) is given the saved state
        var b = new TokenBatcher(Mixture, 4, 32, seed: 999);
        b.State = saved;

        // Then it draws the same batches and counts steps on from there
        Assert.Equal(5, b.Step);
        foreach (int[][] batch in expected) Assert.Equal(batch, Snapshot(b.Next()));
        Assert.Equal(10, b.Step);
    }

    [Fact]
    public void Next_TargetsAreInputsShiftedAndLabelsMatchSource()
    {
        var batcher = new TokenBatcher(Mixture, 8, 64, seed: 1);
        LabelSet labels = Mixture.Labels;
        int tasksSource = labels.Sources.ToList().IndexOf("tasks");
        for (int step = 0; step < 20; step++)
        {
            TokenBatch b = batcher.Next();
            for (int r = 0; r < b.BatchSize; r++)
                for (int t = 0; t < b.SequenceLength; t++)
                {
                    int k = r * b.SequenceLength + t;
                    if (t + 1 < b.SequenceLength) Assert.Equal(b.Targets[k], b.Inputs[k + 1]);
                    string source = labels.Sources[b.Sources[k]];
                    string language = labels.Languages[b.Languages[k]];
                    string task = labels.Tasks[b.Tasks[k]];
                    if (source == "brown") Assert.Equal(("eng", "text", 1f), (language, task, b.LossMask[k]));
                    if (source == "udhr") Assert.Contains(language, (string[])["eng", "rus", "cmn_hans", "swh"]);
                    if (source == "tasks") Assert.Equal((LabelSet.None, labels.Domains[b.Domains[k]]), (language, task));
                    Assert.Equal(b.Sources[k], b.Sources[r * b.SequenceLength]); // a row comes from one source
                }
        }
        Assert.Equal(-1, labels.TaskId("nope"));
        Assert.Equal("Sino-Tibetan", labels.LanguageFamilies[labels.LanguageId("cmn_hans")]);
        Assert.True(tasksSource >= 0);
    }

    [Fact]
    public void Next_TaskRows_MaskOnlyAnswerBytes()
    {
        var mixture = new DataMixture(ByteTokenizer.Instance, [new MixtureComponent("tasks", SyntheticTasks.CreateSplit(100, 10, seed: 2), 1)]);
        var batcher = new TokenBatcher(mixture, 4, 48, seed: 5);
        for (int step = 0; step < 10; step++)
        {
            TokenBatch b = batcher.Next();
            for (int k = 0; k < b.Targets.Length; k++)
            {
                // Answers are the bytes after '=' up to and including '\n'; scan back in the row.
                int rowStart = k / b.SequenceLength * b.SequenceLength;
                int j = k;
                while (j > rowStart && b.Inputs[j] != '=' && b.Inputs[j] != '\n' && b.Inputs[j] != ByteTokenizer.Instance.EosId) j--;
                if (j == rowStart && b.Inputs[j] != '=') continue; // the row started mid-example: unknown
                bool inAnswer = b.Inputs[j] == '=' && b.Targets[k] != ByteTokenizer.Instance.EosId;
                Assert.Equal(inAnswer ? 1f : 0f, b.LossMask[k]);
            }
        }
    }

    [Fact]
    public void Next_MixtureWeights_AreRespected()
    {
        var batcher = new TokenBatcher(Mixture, 16, 16, seed: 11);
        var rows = new int[3];
        for (int step = 0; step < 200; step++)
        {
            TokenBatch b = batcher.Next();
            for (int r = 0; r < b.BatchSize; r++) rows[b.Sources[r * b.SequenceLength]]++;
        }
        Assert.InRange(rows[0] / 3200.0, 0.46, 0.54);
        Assert.InRange(rows[1] / 3200.0, 0.26, 0.34);
        Assert.InRange(rows[2] / 3200.0, 0.17, 0.23);
    }

    [Fact]
    public void Next_SteadyState_AllocatesNothing()
    {
        var batcher = new TokenBatcher(Mixture, 8, 128, seed: 1);
        TokenBatch first = batcher.Next();
        Assert.Equal(0, SteadyAllocation.Bytes(() =>
        {
            for (int i = 0; i < 100; i++) Assert.Same(first, batcher.Next());
        }, repeats: 1));
    }

    [Fact]
    public void Constructor_SourceShorterThanWindow_Throws()
    {
        var tiny = new Corpus("tiny", [new Document { Id = "a", Text = "abc" }, new Document { Id = "b", Text = "def" }]);
        var mixture = new DataMixture(ByteTokenizer.Instance, [new MixtureComponent("tiny", tiny.Split(0.5), 1)]);
        var e = Assert.Throws<ArgumentException>(() => new TokenBatcher(mixture, 1, 16, seed: 0));
        Assert.Contains("tiny", e.Message);
    }

    [Fact]
    public void Evaluation_CoversEveryValidationTargetOnceInOrder()
    {
        // Given the validation documents of each source, tokenized and joined with EOS
        DataMixture m = Mixture;
        ITokenizer tok = m.Tokenizer;
        EvaluationBatches eval = m.Evaluation(batchSize: 5, sequenceLength: 100);

        // When the evaluation batches are walked, collecting the valid targets per source
        var seen = m.Components.Select(_ => new List<int>()).ToArray();
        var firstInput = m.Components.Select(_ => -1).ToArray();
        int batches = 0;
        foreach (TokenBatch b in eval)
        {
            batches++;
            for (int k = 0; k < b.Targets.Length; k++)
            {
                bool pad = b.Sources[k] < 0;
                Assert.Equal(pad, k >= b.Rows * b.SequenceLength || b.Targets[k] == tok.PadId);
                if (pad) { Assert.Equal(0f, b.LossMask[k]); continue; }
                if (firstInput[b.Sources[k]] < 0) firstInput[b.Sources[k]] = b.Inputs[k];
                seen[b.Sources[k]].Add(b.Targets[k]);
            }
        }

        // Then each source's stream minus its first token appears exactly once, in order
        Assert.Equal(eval.Batches, batches);
        for (int s = 0; s < m.Components.Count; s++)
        {
            var expected = new List<int>();
            foreach (Document d in m.Components[s].Split.Validation.Documents)
            {
                tok.Encode(d.Text, expected);
                expected.Add(tok.EosId);
            }
            Assert.Equal(expected[0], firstInput[s]);
            Assert.Equal(expected.Skip(1), seen[s]);
            Assert.Equal(m.ValidationTokens(s), expected.Count);
        }
    }

    [Fact]
    public void Evaluation_TwoWalks_AreIdentical()
    {
        EvaluationBatches eval = Mixture.Evaluation(4, 64);
        var a = eval.Select(Snapshot).ToList();
        var b = eval.Select(Snapshot).ToList();
        Assert.Equal(a, b);
        Assert.Equal(eval.Batches, a.Count);
    }

    [Fact]
    public void Bundled_HasAllGenresLanguagesAndTasks()
    {
        DataMixture m = DataMixture.Bundled(seed: 1);

        Assert.Equal(["brown", "udhr", "tasks"], m.Labels.Sources);
        Assert.Equal(15 + 41 + 8, m.Labels.Domains.Count);
        Assert.Equal(9, m.Labels.Tasks.Count); // 8 tasks + text
        Assert.Equal(42, m.Labels.Languages.Count); // 41 UDHR (eng shared with Brown) + none
        Assert.InRange(m.TrainTokens(0), 4_500_000, 5_800_000);
        var batch = new TokenBatcher(m, 2, 256, seed: 0).Next();
        Assert.All(batch.Inputs, id => Assert.InRange(id, 0, m.Tokenizer.VocabSize - 1));
    }

    [Fact]
    public void DataMixture_BadWeight_Throws()
    {
        CorpusSplit s = SyntheticTasks.CreateSplit(10, 2, seed: 0);
        Assert.Throws<ArgumentException>(() => new DataMixture(ByteTokenizer.Instance, [new MixtureComponent("t", s, 0)]));
        Assert.Throws<ArgumentException>(() => new DataMixture(ByteTokenizer.Instance,
            [new MixtureComponent("t", s, 1), new MixtureComponent("t", s, 1)]));
    }

    [Fact]
    public void TrainTokenCounts_BundledMixture_CountsEveryTrainingToken()
    {
        DataMixture m = DataMixture.Bundled(seed: 1);
        long[] counts = m.TrainTokenCounts();
        Assert.Equal(m.Tokenizer.VocabSize, counts.Length);
        long total = 0;
        for (int s = 0; s < m.Components.Count; s++) total += m.TrainTokens(s);
        Assert.Equal(total, counts.Sum());
        Assert.True(counts['e'] > counts['z'], "English text: 'e' is more frequent than 'z'");
    }
}
