using Switchyard.Data;

namespace Switchyard.Tests.Data;

public sealed class CorpusSplitTests
{
    [Fact]
    public void Split_Brown_DisjointAndCoversAllDocuments()
    {
        Corpus brown = Corpus.Brown();

        CorpusSplit s = brown.Split(0.1, seed: 42);

        var train = s.Train.Documents.Select(d => d.Id).ToHashSet();
        var valid = s.Validation.Documents.Select(d => d.Id).ToHashSet();
        Assert.Empty(train.Intersect(valid));
        Assert.Equal(brown.Documents.Count, train.Count + valid.Count);
        Assert.InRange(valid.Count, 40, 60);
    }

    [Fact]
    public void Split_Brown_EveryGenreInBothParts()
    {
        CorpusSplit s = Corpus.Brown().Split(0.1, seed: 3);

        Assert.Equal(Corpus.Brown().Domains, s.Validation.Domains);
        Assert.Equal(Corpus.Brown().Domains, s.Train.Domains);
        // science_fiction has 6 documents: round(0.6) would be 1 anyway; humor (9) gets 1.
        Assert.Single(s.Validation.Documents, d => d.Domain == "science_fiction");
    }

    [Fact]
    public void Split_SameSeed_SameSplit_OtherSeed_Differs()
    {
        Corpus brown = Corpus.Brown();
        string[] a = [.. brown.Split(0.1, 7).Validation.Documents.Select(d => d.Id)];
        string[] b = [.. brown.Split(0.1, 7).Validation.Documents.Select(d => d.Id)];
        string[] c = [.. brown.Split(0.1, 8).Validation.Documents.Select(d => d.Id)];

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Split_Udhr_HoldsOutTheSameArticlesInEveryLanguage()
    {
        Corpus udhr = Corpus.Udhr();

        CorpusSplit s = udhr.Split(0.1, seed: 1);

        var trainKeys = s.Train.Documents.Select(d => d.SplitKey).ToHashSet();
        var validKeys = s.Validation.Documents.Select(d => d.SplitKey).ToHashSet();
        Assert.Empty(trainKeys.Intersect(validKeys)); // no translation of a validation article is trained on
        Assert.Equal(3, validKeys.Count);             // round(0.1 × 31)
        Assert.Equal(udhr.Domains, s.Validation.Domains);
        Assert.Equal(41 * 3, s.Validation.Documents.Count);
        Assert.Empty(s.Train.Documents.Select(d => d.Id).Intersect(s.Validation.Documents.Select(d => d.Id)));
    }

    [Fact]
    public void Split_FractionZero_AllTraining()
    {
        CorpusSplit s = Corpus.Udhr().Split(0, seed: 1);
        Assert.Empty(s.Validation.Documents);
        Assert.Equal(Corpus.Udhr().Documents.Count, s.Train.Documents.Count);
    }

    [Fact]
    public void Split_SingleDocumentDomain_StaysInTraining()
    {
        var c = new Corpus("c", [
            new Document { Id = "a", Text = "x", Domain = "lonely" },
            new Document { Id = "b", Text = "y", Domain = "pair" },
            new Document { Id = "c", Text = "z", Domain = "pair" },
        ]);

        CorpusSplit s = c.Split(0.5, seed: 0);

        Assert.Contains(s.Train.Documents, d => d.Id == "a");
        Assert.Single(s.Validation.Documents);
        Assert.Equal("pair", s.Validation.Documents[0].Domain);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void Split_BadFraction_Throws(double fraction) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Corpus.Udhr().Split(fraction));
}
