using Switchyard.Data;

namespace Switchyard.Tests.Data;

public sealed class BrownTagsTests
{
    [Fact]
    public void Load_AlignsTagsWithBrownText()
    {
        IReadOnlyList<TaggedDocument> tags = BrownTags.Load();
        Corpus brown = Corpus.Brown();

        Assert.Equal(500, tags.Count);
        TaggedDocument ca01 = tags[0];
        string text = brown.Documents[0].Text;
        Assert.Equal("ca01", ca01.Id);
        Assert.Equal(["at", "np-tl", "nn-tl"], ca01.Tags.Take(3));
        Assert.Equal("Fulton", Slice(text, ca01.TokenSpan(text, 1)));
        Assert.Equal("nn-tl", ca01.TagAt(text, text.IndexOf("County", StringComparison.Ordinal) + 2));
        Assert.Null(ca01.TagAt(text, 3)); // the space after "The"
        Assert.Equal(0, ca01.Sentences[0]);
        Assert.True(ca01.Sentences.Count > 50);
    }

    [Fact]
    public void Load_EveryTokenSpanIsNonEmptyAndInsideText()
    {
        IReadOnlyList<TaggedDocument> tags = BrownTags.Load();
        Corpus brown = Corpus.Brown();
        for (int d = 0; d < 500; d += 50)
        {
            string text = brown.Documents[d].Text;
            Assert.Equal(brown.Documents[d].Id, tags[d].Id);
            for (int i = 0; i < tags[d].Count; i++)
            {
                CharSpan s = tags[d].TokenSpan(text, i);
                Assert.True(s.Length > 0 && s.End <= text.Length, $"{tags[d].Id} token {i}");
            }
        }
    }

    static string Slice(string text, CharSpan s) => text.Substring(s.Start, s.Length);
}
