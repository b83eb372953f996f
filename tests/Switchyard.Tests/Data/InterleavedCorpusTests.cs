using Switchyard.Data;

namespace Switchyard.Tests.Data;

public sealed class InterleavedCorpusTests
{
    [Fact]
    public void CreateSplit_AlternatesTextAndTaskSegments_AllScored_Deterministic()
    {
        CorpusSplit split = InterleavedCorpus.CreateSplit(0.1, 3);
        IReadOnlyList<Document> docs = split.Validation.Documents;
        Assert.True(docs.Count > 100);
        for (int i = 0; i < docs.Count; i++)
        {
            Assert.Equal(i % 2 == 1, docs[i].Task == InterleavedCorpus.Label);
            Assert.Empty(docs[i].Answers);
            if (i % 2 == 1) Assert.Contains("=", docs[i].Text);
        }
        Assert.Equal(docs.Select(d => d.Text), InterleavedCorpus.CreateSplit(0.1, 3).Validation.Documents.Select(d => d.Text));
    }

    [Fact]
    public void Mixture_TrainingWindows_SwitchModalityInside()
    {
        DataMixture mixture = MixtureCatalog.Build("interleaved", ByteTokenizer.Instance, 1, 0.1);
        TokenBatch batch = new TokenBatcher(mixture, 16, 128, 5).Next();
        int switches = 0;
        for (int i = 0; i < batch.Modalities.Length; i++)
        {
            Assert.InRange(batch.Modalities[i], 0, 1);
            Assert.Equal(1f, batch.LossMask[i]);
            if (i % 128 != 0 && batch.Modalities[i] != batch.Modalities[i - 1]) switches++;
        }
        Assert.True(switches >= 5, $"only {switches} switches in 16 windows of 128"); // ~1 expected per window: segments average 160 characters
    }
}
