using System.Text.RegularExpressions;
using Switchyard.Data.Tokenizers;

namespace Switchyard.Tests.Data.Tokenizers;

public sealed class CodePointRegexTests
{
    static string[] Pieces(string pattern, string text) =>
        [.. CodePointRegex.Create(pattern).Matches(text).Select(m => m.Value)];

    [Fact]
    public void Create_EmojiBeforeLetters_OneCodePointLikeRust()
    {
        // Rust: [^\r\n\p{L}\p{N}]? takes the whole emoji, then \p{L}+; .NET alone would split the pair.
        Assert.Equal(["🚂abc"], Pieces(TokenizerBuilder.Qwen2Pattern, "🚂abc"));
        Assert.Equal(["🚂", "abc"], [.. new Regex(TokenizerBuilder.Qwen2Pattern).Matches("🚂abc").Select(m => m.Value)]);
    }

    [Fact]
    public void Create_SupplementaryLetters_MatchPropertyL()
    {
        Assert.Equal(["𝐀𝐁𝐂", " 𠀀𠀁"], Pieces(@" ?\p{L}+", "𝐀𝐁𝐂 𠀀𠀁"));
    }

    [Fact]
    public void Create_NegatedClass_NeverSplitsSurrogatePairs()
    {
        foreach (string piece in Pieces(@"[^\s\p{L}]", "👍🏽 x 😀"))
            Assert.Equal(2, piece.Length);
    }

    [Fact]
    public void Create_DigitsInGroups_CountCodePoints()
    {
        Assert.Equal(["123", "45", "𝟏𝟐"], Pieces(@"\p{N}{1,3}", "12345 𝟏𝟐"));
    }

    [Fact]
    public void Create_UnknownProperty_Throws() =>
        Assert.Throws<ArgumentException>(() => CodePointRegex.Create(@"\p{Han}"));
}
