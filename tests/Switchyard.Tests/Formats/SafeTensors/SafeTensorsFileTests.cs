using System.Buffers.Binary;
using System.Text;
using Switchyard.Formats;
using Switchyard.Tensors;
using static Switchyard.Tests.Formats.SafeTensorsBytes;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Formats;

public sealed class SafeTensorsFileTests : IDisposable
{
    readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    string Save(byte[] bytes, string name = "model.safetensors")
    {
        string path = _dir.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    InvalidModelFileException Bad(byte[] bytes)
    {
        string path = Save(bytes);
        var e = Assert.Throws<InvalidModelFileException>(() => SafeTensors.Open(path).Dispose());
        Assert.Equal(path, e.FilePath);
        Assert.StartsWith($"model.safetensors @ 0x{e.Offset:X}: ", e.Message);
        return e;
    }

    InvalidModelFileException Bad(string json, byte[] data) => Bad(Build(json, data));

    // File offset of the first occurrence of `marker` in the header JSON: 8 + its UTF-8 byte index.
    static long At(string json, string marker)
    {
        int i = json.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(i >= 0, marker);
        return 8 + Encoding.UTF8.GetByteCount(json.AsSpan(0, i));
    }

    const string W = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";

    [Fact]
    public void Open_ValidMinimalFile_Loads()
    {
        using SafeTensorsFile f = SafeTensors.Open(Save(Build(W, F32(1, 2))));
        Assert.False(f.HasMetadata);
        Assert.Empty(f.Metadata);
        Assert.Equal([1f, 2f], f.ReadTensor("w").ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public void Open_FileShorterThanLengthPrefix_ThrowsAtOffset0(int length)
    {
        var e = Bad(new byte[length]);
        Assert.Equal(0, e.Offset);
        Assert.Contains($"file is {length} bytes; a safetensors file starts with an 8-byte header length", e.Message);
    }

    [Fact]
    public void Open_HeaderLengthPastEndOfFile_ThrowsAtOffset0()
    {
        byte[] bytes = Build(W, F32(1, 2));
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1000);
        var e = Bad(bytes);
        Assert.Equal(0, e.Offset);
        Assert.Contains($"header length 1000 runs past the end of the file ({bytes.Length - 8} bytes after the length)", e.Message);
    }

    [Theory]
    [InlineData(100_000_001UL)]
    [InlineData(ulong.MaxValue)]
    public void Open_HeaderLengthOver100MB_ThrowsWithoutAllocating(ulong n)
    {
        byte[] bytes = Build(W, F32(1, 2));
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, n);
        var e = Bad(bytes);
        Assert.Equal(0, e.Offset);
        Assert.Contains($"header length {n} exceeds the limit of 100000000 bytes", e.Message);
    }

    [Fact]
    public void Open_HeaderNotUtf8_ThrowsAtBadByte()
    {
        byte[] header = Encoding.UTF8.GetBytes(W);
        header[3] = 0xFF; // inside the name "w" ... at JSON index 3? index 2 is 'w'; 3 is the closing quote
        var e = Bad(Build(header, F32(1, 2)));
        Assert.Equal(8 + 3, e.Offset);
        Assert.Contains("header is not valid UTF-8 (byte 0xFF)", e.Message);
    }

    [Fact]
    public void Open_HeaderNotJson_ThrowsAtReaderPosition()
    {
        const string json = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},}";
        var e = Bad(json, F32(1, 2));
        Assert.Contains("header is not valid JSON", e.Message);
        Assert.Equal(At(json, ",}") + 1, e.Offset); // the reader reports the '}' after the trailing comma
    }

    [Fact]
    public void Open_MultiLineJsonError_OffsetCountsEarlierLines()
    {
        const string json = "{\n\"w\":{\"dtype\":\"F32\",\n\"shape\":[2] \"data_offsets\":[0,8]}}";
        var e = Bad(json, F32(1, 2));
        Assert.Equal(At(json, "\"data_offsets"), e.Offset);
    }

    [Fact]
    public void Open_ContentAfterHeaderObject_Throws()
    {
        var e = Bad(W + "x", F32(1, 2));
        Assert.Contains("not valid JSON", e.Message);
        Assert.Equal(8 + Encoding.UTF8.GetByteCount(W), e.Offset);
    }

    [Fact]
    public void Open_HeaderNotAnObject_ThrowsAtOffset8()
    {
        var e = Bad("[1]", []);
        Assert.Equal(8, e.Offset);
        Assert.Contains("expected the header to be a JSON object, found an array", e.Message);
    }

    [Theory]
    [InlineData("{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}", "dtype")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", "shape")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[2]}}", "data_offsets")]
    public void Open_MissingField_ThrowsAtTensorName(string json, string field)
    {
        var e = Bad(json, F32(1, 2));
        Assert.Equal(At(json, "\"w\""), e.Offset);
        Assert.Contains($"tensor 'w': missing field '{field}'", e.Message);
    }

    [Fact]
    public void Open_ExtraField_ThrowsAtField()
    {
        const string json = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"stride\":[1]}}";
        var e = Bad(json, F32(1, 2));
        Assert.Equal(At(json, "\"stride\""), e.Offset);
        Assert.Contains("tensor 'w': unexpected field 'stride' (expected dtype, shape, data_offsets)", e.Message);
    }

    [Fact]
    public void Open_DuplicateField_ThrowsAtSecond()
    {
        const string json = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"dtype\":\"F16\"}}";
        var e = Bad(json, F32(1, 2));
        Assert.Equal(At(json, ",\"dtype\"") + 1, e.Offset);
        Assert.Contains("tensor 'w': duplicate field 'dtype'", e.Message);
    }

    [Theory]
    [InlineData("{\"w\":{\"dtype\":32,\"shape\":[2],\"data_offsets\":[0,8]}}", "32", "dtype must be a string, found a number")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":\"2\",\"data_offsets\":[0,8]}}", "\"2\"", "shape must be an array of integers, found a string")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":{\"a\":0}}}", "{\"a\"", "data_offsets must be an array [begin, end], found an object")]
    [InlineData("{\"w\":[1]}", "[1]", "expected an object with dtype, shape and data_offsets, found an array")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[true],\"data_offsets\":[0,8]}}", "true", "shape dimension must be a non-negative integer, found a boolean")]
    public void Open_WrongFieldType_ThrowsAtValue(string json, string marker, string message)
    {
        var e = Bad(json, F32(1, 2));
        Assert.Equal(At(json, marker), e.Offset);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Open_UnknownDType_ThrowsListingKnownOnes()
    {
        const string json = "{\"w\":{\"dtype\":\"F33\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        var e = Bad(json, F32(1, 2));
        Assert.Equal(At(json, "\"F33\""), e.Offset);
        Assert.Contains("tensor 'w': unknown dtype 'F33' (known: F32, F16, BF16", e.Message);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("2.0")]
    [InlineData("1e2")]
    [InlineData("99999999999999999999")]
    public void Open_BadShapeDimension_ThrowsAtDimension(string dim)
    {
        string json = "{\"w\":{\"dtype\":\"F32\",\"shape\":[" + dim + "],\"data_offsets\":[0,8]}}";
        var e = Bad(json, F32(1, 2));
        Assert.Equal(At(json, dim + "]"), e.Offset);
        Assert.Contains($"tensor 'w': shape dimension must be a non-negative integer below 2^63, found {dim}", e.Message);
    }

    [Fact]
    public void Open_DimensionAboveInt32_ThrowsAtDimension()
    {
        const string json = "{\"w\":{\"dtype\":\"U8\",\"shape\":[4294967296],\"data_offsets\":[0,4294967296]}}";
        var e = Bad(json, []);
        Assert.Equal(At(json, "4294967296"), e.Offset);
        Assert.Contains("shape dimension 4294967296 exceeds the supported 2147483647", e.Message);
    }

    [Fact]
    public void Open_ShapeProductOverflows_ThrowsAtShape()
    {
        const string json = "{\"w\":{\"dtype\":\"U8\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,8]}}";
        var e = Bad(json, new byte[8]);
        Assert.Equal(At(json, "[2147483647"), e.Offset);
        Assert.Contains("has more than 2^63 elements", e.Message);
    }

    [Fact]
    public void Open_OffsetsDoNotMatchDTypeTimesShape_ThrowsAtDataOffsets()
    {
        const string json = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]}}";
        var e = Bad(json, new byte[12]);
        Assert.Equal(At(json, "[0,12]"), e.Offset);
        Assert.Equal($"model.safetensors @ 0x{At(json, "[0,12]"):X}: tensor 'w': data_offsets [0, 12] do not match F32 [2, 2] (16 bytes)", e.Message);
    }

    [Fact]
    public void Open_EndBeforeBegin_ThrowsAtDataOffsets()
    {
        const string json = "{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}";
        var e = Bad(json, new byte[8]);
        Assert.Contains("data_offsets [8, 0] do not match F32 [0] (0 bytes)", e.Message);
    }

    [Theory]
    [InlineData("[0]", "exactly 2 entries, found 1", "[0]")]
    [InlineData("[0,8,8]", "found more", "8]")]
    [InlineData("[0,-8]", "data offset must be a non-negative integer below 2^63, found -8", "-8")]
    public void Open_MalformedDataOffsets_Throws(string offsets, string message, string marker)
    {
        string json = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":" + offsets + "}}";
        var e = Bad(json, F32(1, 2));
        Assert.Contains(message, e.Message);
        Assert.Equal(At(json, "\"data_offsets\":") + 15 + offsets.IndexOf(marker, StringComparison.Ordinal), e.Offset);
    }

    [Fact]
    public void Open_SubByteSizeNotWholeBytes_ThrowsAtShape()
    {
        const string json = "{\"w\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,1]}}";
        var e = Bad(json, new byte[1]);
        Assert.Equal(At(json, "[3]"), e.Offset);
        Assert.Contains("3 elements of F4 [3] are not a whole number of bytes", e.Message);
    }

    [Fact]
    public void Open_OverlappingTensors_ThrowsAtSecondOffsets()
    {
        const string json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}," +
                            "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        var e = Bad(json, new byte[12]);
        Assert.Equal(At(json, "[4,12]"), e.Offset);
        Assert.Contains("tensor 'b': data_offsets [4, 12] overlap tensor 'a', which ends at 8", e.Message);
    }

    [Fact]
    public void Open_GapBetweenTensors_ThrowsAtSecondOffsets()
    {
        const string json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}," +
                            "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}";
        var e = Bad(json, new byte[12]);
        Assert.Equal(At(json, "[8,12]"), e.Offset);
        Assert.Contains("tensor 'b': data_offsets [8, 12] leave a gap after tensor 'a', which ends at 4", e.Message);
    }

    [Fact]
    public void Open_FirstTensorNotAtZero_ThrowsGap()
    {
        const string json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        var e = Bad(json, new byte[8]);
        Assert.Contains("tensor 'a': data_offsets [4, 8] leave a gap: the data buffer starts at 0", e.Message);
    }

    [Fact]
    public void Open_OffsetsPastEndOfFile_ThrowsAtDataOffsets()
    {
        const string json = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}";
        var e = Bad(json, new byte[8]);
        Assert.Equal(At(json, "[0,16]"), e.Offset);
        Assert.Contains("tensor 'w': data_offsets [0, 16] run past the end of the data buffer (8 bytes)", e.Message);
    }

    [Fact]
    public void Open_TrailingBytesNotCovered_ThrowsAtFirstUncoveredDataByte()
    {
        byte[] bytes = Build(W, new byte[12]);
        var e = Bad(bytes);
        Assert.Equal(bytes.Length - 4, e.Offset);
        Assert.Contains("4 bytes after the last tensor are not covered by any tensor", e.Message);
    }

    [Fact]
    public void Open_DuplicateTensorName_ThrowsAtSecondName()
    {
        const string json = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}," +
                            "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        var e = Bad(json, new byte[8]);
        Assert.Equal(At(json, ",\"w\"") + 1, e.Offset);
        Assert.Contains("duplicate tensor name 'w'", e.Message);
    }

    [Fact]
    public void Open_NonStringMetadataValue_ThrowsAtValue()
    {
        const string json = "{\"__metadata__\":{\"format\":\"pt\",\"step\":12},\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        var e = Bad(json, F32(1, 2));
        Assert.Equal(At(json, "12}"), e.Offset);
        Assert.Contains("'__metadata__' value for 'step' must be a string, found a number", e.Message);
    }

    [Fact]
    public void Open_MetadataNotObjectOrDuplicated_Throws()
    {
        Assert.Contains("'__metadata__' must be an object of strings, found an array",
            Bad("{\"__metadata__\":[\"a\"]}", []).Message);
        Assert.Contains("duplicate '__metadata__' section",
            Bad("{\"__metadata__\":{},\"__metadata__\":{}}", []).Message);
        Assert.Contains("duplicate '__metadata__' key 'k'",
            Bad("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", []).Message);
    }

    [Fact]
    public void Open_NullMetadata_ReadsAsAbsentLikeTheReferenceCrate()
    {
        using SafeTensorsFile f = SafeTensors.Open(Save(Build("{\"__metadata__\":null}", [])));
        Assert.False(f.HasMetadata);
        Assert.Empty(f.Names);
    }

    [Fact]
    public void Open_LoneSurrogateEscapeInName_ThrowsAtName()
    {
        const string json = "{\"\\ud800\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        var e = Bad(json, F32(1, 2));
        Assert.Equal(9, e.Offset);
        Assert.Contains("not a valid string", e.Message);
    }

    [Fact]
    public void Open_TensorsListedOutOfDataOrder_AreSortedByOffset()
    {
        // Old writers ordered entries by name only; the reference reader sorts by offsets, so do we.
        const string json = "{\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}," +
                            "\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}," +
                            "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,8]}}";
        using SafeTensorsFile f = SafeTensors.Open(Save(Build(json, Concat(U16(0x3C00, 0x4000), F32(5)), pad: false)));
        Assert.Equal(["a", "b", "e"], f.Names);
        Assert.Equal([1f, 2f], f.ReadTensor("a").ToArray());
        Assert.Equal([5f], f.ReadTensor("b").ToArray());
        Assert.Empty(f.ReadTensor("e").ToArray());
    }

    [Fact]
    public void ReadFloat32_OtherDTypes_Convert()
    {
        byte[] f64 = new byte[16], i64 = new byte[16], i32 = new byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(f64, 1.5);
        BinaryPrimitives.WriteDoubleLittleEndian(f64.AsSpan(8), -1e300);
        BinaryPrimitives.WriteInt64LittleEndian(i64, -3);
        BinaryPrimitives.WriteInt64LittleEndian(i64.AsSpan(8), 1L << 40);
        BinaryPrimitives.WriteInt32LittleEndian(i32, -7);
        BinaryPrimitives.WriteInt32LittleEndian(i32.AsSpan(4), int.MaxValue);
        const string json = "{\"d\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]}," +
                            "\"l\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[16,32]}," +
                            "\"i\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[32,40]}," +
                            "\"u\":{\"dtype\":\"U16\",\"shape\":[1],\"data_offsets\":[40,42]}," +
                            "\"s\":{\"dtype\":\"I8\",\"shape\":[2],\"data_offsets\":[42,44]}," +
                            "\"b\":{\"dtype\":\"BOOL\",\"shape\":[2],\"data_offsets\":[44,46]}," +
                            "\"f8\":{\"dtype\":\"F8_E4M3\",\"shape\":[4],\"data_offsets\":[46,50]}}";
        byte[] data = Concat(f64, i64, i32, U16(65535), [0xFF, 0x7F], [0, 2], [0x7E, 0x01, 0x7F, 0xB8]);
        using SafeTensorsFile f = SafeTensors.Open(Save(Build(json, data)));
        Assert.Equal([1.5f, float.NegativeInfinity], f.ReadTensor("d").ToArray());
        Assert.Equal([-3f, 1099511627776f], f.ReadTensor("l").ToArray());
        Assert.Equal([-7f, 2147483648f], f.ReadTensor("i").ToArray());
        Assert.Equal([65535f], f.ReadTensor("u").ToArray());
        Assert.Equal([-1f, 127f], f.ReadTensor("s").ToArray());
        Assert.Equal([0f, 1f], f.ReadTensor("b").ToArray());
        float[] f8 = f.ReadTensor("f8").ToArray();
        Assert.Equal(448f, f8[0]);          // largest E4M3FN
        Assert.Equal(MathF.ScaleB(1, -9), f8[1]); // smallest subnormal
        Assert.True(float.IsNaN(f8[2]));
        Assert.Equal(-1f, f8[3]);
    }

    [Fact]
    public void ReadTensor_UnconvertibleDType_ThrowsNamingIt()
    {
        const string json = "{\"c\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[0,8]}}";
        using SafeTensorsFile f = SafeTensors.Open(Save(Build(json, new byte[8])));
        var e = Assert.Throws<InvalidModelFileException>(() => f.ReadTensor("c"));
        Assert.Contains("tensor 'c' has dtype C64, which cannot be read as float32", e.Message);
        Assert.Equal(9, e.Offset);
        Assert.Equal(8, f.GetBytes("c").Length);
    }

    [Fact]
    public void ReadTensor_RankAboveFour_ThrowsButReadFloat32Works()
    {
        const string json = "{\"r5\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,2],\"data_offsets\":[0,8]}}";
        using SafeTensorsFile f = SafeTensors.Open(Save(Build(json, F32(3, 4))));
        var e = Assert.Throws<InvalidModelFileException>(() => f.ReadTensor("r5"));
        Assert.Contains("tensor 'r5' has rank 5 [1, 1, 1, 1, 2]; a Tensor holds rank ≤ 4", e.Message);
        var dst = new float[2];
        f.ReadFloat32("r5", dst);
        Assert.Equal([3f, 4f], dst);
    }

    [Fact]
    public void ReadFloat32_WrongDestinationLength_ThrowsArgumentException()
    {
        using SafeTensorsFile f = SafeTensors.Open(Save(Build(W, F32(1, 2))));
        Assert.Contains("has 2 elements, destination 3", Assert.Throws<ArgumentException>(() => f.ReadFloat32("w", new float[3])).Message);
        Assert.Throws<KeyNotFoundException>(() => f.GetInfo("missing"));
        Assert.False(f.Contains("missing"));
    }

    [Fact]
    public void GetBytes_Range_ReturnsSliceInPlace()
    {
        using SafeTensorsFile f = SafeTensors.Open(Save(Build(W, F32(1, 2))));
        Assert.Equal(F32(2), f.GetBytes("w", 4, 4).ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => f.GetBytes("w", 6, 4).Length);
    }

    [Fact]
    public void Dispose_ThenRead_ThrowsObjectDisposed()
    {
        SafeTensorsFile f = SafeTensors.Open(Save(Build(W, F32(1, 2))));
        f.Dispose();
        f.Dispose();
        Assert.Throws<ObjectDisposedException>(() => f.GetBytes("w").Length);
    }

    [Fact]
    public void Open_RandomCorruptions_LoadCleanlyOrThrowInvalidModelFile()
    {
        // Given a valid file with metadata and three dtypes
        using var ms = new MemoryStream();
        SafeTensors.Write(ms,
        [
            new("model.embed.weight", new Shape(3, 4), TensorDType.BF16, Enumerable.Range(0, 12).Select(i => i * 0.5f).ToArray()),
            new("model.norm.weight", new Shape(4), TensorDType.F32, new float[] { 1, 2, 3, 4 }),
            new("lm_head.weight", new Shape(2, 3), TensorDType.F16, new float[] { -1, 0, 1, 2, 3, 4 }),
        ], new Dictionary<string, string> { ["format"] = "pt" });
        byte[] valid = ms.ToArray();
        int headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(valid);
        var rng = new Random(20261125);
        string path = _dir.File("fuzz.safetensors");
        int clean = 0, rejected = 0;

        // When each of 1000 mutations is opened and fully read
        const int Trials = 1000;
        for (int trial = 0; trial < Trials; trial++)
        {
            byte[] bytes = Mutate(valid, headerEnd, rng);
            File.WriteAllBytes(path, bytes);
            try
            {
                using SafeTensorsFile f = SafeTensors.Open(path);
                foreach (TensorInfo t in f.Tensors)
                {
                    if (t.DType.IsReadableAsFloat32() && t.ElementCount < 1 << 20) f.ReadFloat32(t.Name, new float[t.ElementCount]);
                    _ = f.GetBytes(t.Name).Length;
                }
                clean++;
            }
            catch (InvalidModelFileException)
            {
                rejected++;
            }
            // Then nothing else is thrown (any other exception fails the test here)
        }
        Assert.True(rejected > Trials / 3, $"only {rejected} of {Trials} mutations were rejected");
        Assert.True(clean > Trials / 30, $"only {clean} of {Trials} mutations loaded");
    }

    static byte[] Mutate(byte[] valid, int headerEnd, Random rng)
    {
        byte[] b = (byte[])valid.Clone();
        switch (rng.Next(7))
        {
            case 6: // bytes inserted anywhere
                int at = rng.Next(b.Length + 1);
                return [.. b[..at], .. Enumerable.Range(0, 1 + rng.Next(8)).Select(_ => (byte)rng.Next(256)), .. b[at..]];
            case 0: return b[..rng.Next(b.Length)]; // truncated
            case 1: return [.. b, .. Enumerable.Repeat((byte)rng.Next(256), 1 + rng.Next(9))]; // extended
            case 2: b[rng.Next(8)] = (byte)rng.Next(256); return b; // length prefix
            case 3: // structural JSON characters swapped for others
                ReadOnlySpan<byte> tokens = "{}[]\",:0123456789 -.e\\"u8;
                for (int k = 1 + rng.Next(3); k > 0; k--) b[8 + rng.Next(headerEnd - 8)] = tokens[rng.Next(tokens.Length)];
                return b;
            case 4: b[8 + rng.Next(headerEnd - 8)] ^= (byte)(1 << rng.Next(8)); return b; // header bit flip
            default: b[rng.Next(b.Length)] = (byte)rng.Next(256); return b; // anywhere, data included
        }
    }
}
