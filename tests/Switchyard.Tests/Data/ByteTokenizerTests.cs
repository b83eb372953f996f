using System.Text;
using Switchyard.Data;

namespace Switchyard.Tests.Data;

public sealed class ByteTokenizerTests
{
    [Theory]
    [InlineData("")]
    [InlineData("plain ASCII, with punctuation!\n")]
    [InlineData("Toute personne a droit à la liberté")]
    [InlineData("Все люди рождаются свободными")]
    [InlineData("人人生而自由，在尊严和权利上一律平等。")]
    [InlineData("مادة 1 يولد جميع الناس أحرارًا")]
    [InlineData("emoji 🚂 (surrogate pair)")]
    public void EncodeDecode_AnyText_RoundTrips(string text)
    {
        ITokenizer tok = ByteTokenizer.Instance;

        int[] ids = tok.Encode(text);

        Assert.Equal(Encoding.UTF8.GetByteCount(text), ids.Length);
        Assert.All(ids, id => Assert.InRange(id, 0, 255));
        Assert.Equal(text, tok.Decode(ids));
    }

    [Fact]
    public void Decode_SpecialIds_AreSkipped()
    {
        ITokenizer tok = ByteTokenizer.Instance;
        int[] ids = [tok.BosId, 'h', 'i', tok.EosId, tok.PadId];
        Assert.Equal("hi", tok.Decode(ids));
        Assert.Equal(259, tok.VocabSize);
    }

    [Fact]
    public void Encode_LongText_AppendsToExistingIds()
    {
        string text = new('é', 3000); // over the stackalloc threshold
        var ids = new List<int> { 7 };
        ByteTokenizer.Instance.Encode(text, ids);
        Assert.Equal(1 + 6000, ids.Count);
        Assert.Equal(text, ByteTokenizer.Instance.Decode(ids.ToArray().AsSpan(1)));
    }

    [Fact]
    public void Decode_IdOutOfRange_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ByteTokenizer.Instance.Decode([300]));
}
