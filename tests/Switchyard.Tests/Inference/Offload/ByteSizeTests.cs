using Switchyard.Inference;

namespace Switchyard.Tests.Inference.Offload;

public sealed class ByteSizeTests
{
    [Theory]
    [InlineData("123456", 123456L)]
    [InlineData("0", 0L)]
    [InlineData("512MB", 512_000_000L)]
    [InlineData("8GiB", 8L << 30)]
    [InlineData("8 gib", 8L << 30)]
    [InlineData("1.5G", 3L << 29)]
    [InlineData("1.5GB", 1_500_000_000L)]
    [InlineData("64K", 65536L)]
    [InlineData("2KiB", 2048L)]
    [InlineData("3kb", 3000L)]
    [InlineData("1TiB", 1L << 40)]
    [InlineData("10B", 10L)]
    [InlineData(" 7M ", 7L << 20)]
    [InlineData("0.5", 1L)] // half a byte rounds away from zero
    public void Parse_ValidForms_GivesBytes(string text, long bytes) => Assert.Equal(bytes, ByteSize.Parse(text).Bytes);

    [Theory]
    [InlineData("", "empty")]
    [InlineData("GiB", "does not start with a number")]
    [InlineData("-1GiB", "negative")]
    [InlineData("8XB", "unknown unit 'XB'")]
    [InlineData("1.2.3", "'1.2.3' is not a number")]
    [InlineData("9999999TiB", "larger than 8 EiB")]
    [InlineData("8 GiB extra", "unknown unit")]
    public void Parse_Invalid_ThrowsListingValidForms(string text, string why)
    {
        var e = Assert.Throws<InvalidByteSizeException>(() => ByteSize.Parse(text));
        Assert.Contains(why, e.Message);
        Assert.Contains("512MB, 1.5G, 8GiB", e.Message);
        Assert.False(ByteSize.TryParse(text, out _));
    }

    [Theory]
    [InlineData(0L, "0 B")]
    [InlineData(1023L, "1023 B")]
    [InlineData(1536L, "1.50 KiB")]
    [InlineData(3L << 29, "1.50 GiB")]
    [InlineData(100L << 20, "100 MiB")]
    [InlineData(-2048L, "-2.00 KiB")]
    public void Format_UsesBinaryUnitsWithThreeDigits(long bytes, string text)
    {
        Assert.Equal(text, ByteSize.Format(bytes));
        Assert.Equal(text, new ByteSize(bytes).ToString());
    }

    [Fact]
    public void Parse_FormattedBinarySize_RoundTrips() => Assert.Equal(3L << 29, ByteSize.Parse(ByteSize.Format(3L << 29).Replace(" ", "")).Bytes);
}
