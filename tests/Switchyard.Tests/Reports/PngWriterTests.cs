using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Switchyard.Reports;

namespace Switchyard.Tests.Reports;

public sealed class PngWriterTests
{
    /// <summary>A parsed PNG chunk.</summary>
    internal sealed record Chunk(string Type, byte[] Data, uint StoredCrc);

    /// <summary>Splits a PNG file into chunks, checking the signature and that the file ends with IEND.</summary>
    internal static List<Chunk> Chunks(byte[] png)
    {
        Assert.Equal([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], png[..8]);
        var chunks = new List<Chunk>();
        int at = 8;
        while (at < png.Length)
        {
            int length = checked((int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at)));
            string type = Encoding.ASCII.GetString(png, at + 4, 4);
            byte[] data = png.AsSpan(at + 8, length).ToArray();
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at + 8 + length));
            chunks.Add(new Chunk(type, data, crc));
            at += 12 + length;
        }
        Assert.Equal(png.Length, at);
        Assert.Equal("IEND", chunks[^1].Type);
        return chunks;
    }

    /// <summary>Decodes an 8-bit RGB, filter-0 PNG (what <see cref="PngWriter"/> writes) into its pixels.</summary>
    internal static (int Width, int Height, byte[] Rgb) Decode(byte[] png)
    {
        var chunks = Chunks(png);
        var ihdr = chunks[0].Data;
        int width = (int)BinaryPrimitives.ReadUInt32BigEndian(ihdr), height = (int)BinaryPrimitives.ReadUInt32BigEndian(ihdr.AsSpan(4));
        using var z = new ZLibStream(new MemoryStream([.. chunks.Where(c => c.Type == "IDAT").SelectMany(c => c.Data)]), CompressionMode.Decompress);
        using var raw = new MemoryStream();
        z.CopyTo(raw);
        byte[] bytes = raw.ToArray();
        var rgb = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
        {
            Assert.Equal(0, bytes[y * (1 + 3 * width)]); // filter type None
            Array.Copy(bytes, y * (1 + 3 * width) + 1, rgb, y * 3 * width, 3 * width);
        }
        return (width, height, rgb);
    }

    // Bit-at-a-time CRC-32 straight from the PNG spec's definition: an oracle independent of the table.
    static uint BitwiseCrc(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        }
        return c ^ 0xFFFFFFFF;
    }

    [Fact]
    public void Crc32_CheckString_MatchesStandardCheckValue()
    {
        // The CRC-32/ISO-HDLC check value of "123456789".
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));
        Assert.Equal(0u, Crc32.Compute([]));
    }

    [Fact]
    public void Encode_OddSizedImage_ChunksCrcsHeaderAndScanlinesParseBack()
    {
        // Given a 37 × 23 image with a few coloured pixels
        var image = new RgbImage(37, 23, Rgb.White);
        image.Set(0, 0, new Rgb(1, 2, 3));
        image.Set(36, 22, new Rgb(200, 100, 50));

        // When it is encoded
        byte[] png = PngWriter.Encode(image);

        // Then: signature, IHDR / IDAT / IEND with valid CRCs, the IHDR fields, and height·(1 + 3·width) bytes of scanlines
        var chunks = Chunks(png);
        Assert.Equal(["IHDR", "IDAT", "IEND"], chunks.Select(c => c.Type));
        foreach (var c in chunks)
            Assert.Equal(BitwiseCrc([.. Encoding.ASCII.GetBytes(c.Type), .. c.Data]), c.StoredCrc);
        byte[] ihdr = chunks[0].Data;
        Assert.Equal(13, ihdr.Length);
        Assert.Equal(37u, BinaryPrimitives.ReadUInt32BigEndian(ihdr));
        Assert.Equal(23u, BinaryPrimitives.ReadUInt32BigEndian(ihdr.AsSpan(4)));
        Assert.Equal([8, 2, 0, 0, 0], ihdr[8..]); // depth 8, truecolour, deflate, filter 0, no interlace
        var (w, h, rgb) = Decode(png);
        Assert.Equal(image.Pixels.ToArray(), rgb);
        Assert.Equal((37, 23), (w, h));
        Assert.Equal([1, 2, 3], rgb[..3]);
    }

    [Fact]
    public void Encode_IdatLength_IsHeightTimesOnePlusThreeWidth()
    {
        var image = new RgbImage(65, 7, new Rgb(9, 9, 9));
        var idat = Chunks(PngWriter.Encode(image)).Single(c => c.Type == "IDAT");
        using var z = new ZLibStream(new MemoryStream(idat.Data), CompressionMode.Decompress);
        using var raw = new MemoryStream();
        z.CopyTo(raw);
        Assert.Equal(7 * (1 + 3 * 65), raw.Length);
    }

    [Fact]
    public void Write_NewFile_WritesTheEncodedBytes()
    {
        string path = Path.Combine(Path.GetTempPath(), $"switchyard-png-{Guid.NewGuid():N}.png");
        try
        {
            var image = new RgbImage(3, 2, Rgb.Black);
            PngWriter.Write(path, image);
            Assert.Equal(PngWriter.Encode(image), File.ReadAllBytes(path));
        }
        finally { File.Delete(path); }
    }
}
