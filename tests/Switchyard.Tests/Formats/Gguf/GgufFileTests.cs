using System.Buffers.Binary;
using Switchyard.Formats;
using Switchyard.Formats.Gguf;
using Switchyard.Tensors;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Formats.Gguf;

public sealed class GgufFileTests : IDisposable
{
    readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    string Save(byte[] bytes, string name = "model.gguf")
    {
        string path = _dir.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    InvalidModelFileException Bad(byte[] bytes)
    {
        string path = Save(bytes);
        var e = Assert.Throws<InvalidModelFileException>(() => GgufFile.Open(path).Dispose());
        Assert.Equal(path, e.FilePath);
        Assert.StartsWith($"model.gguf @ 0x{e.Offset:X}: ", e.Message);
        return e;
    }

    // One F32 tensor "w" of 2 values and one key, laid out by hand.
    static byte[] Minimal(Action<GgufBytes>? kvs = null, ulong kvCount = 1)
    {
        var b = new GgufBytes().Header(1, kvCount);
        if (kvs is null) b.KvU32("general.alignment", 32);
        else kvs(b);
        return b.Info("w", [2], 0, 0).Pad().F32(1, 2).Pad().ToArray();
    }

    [Fact]
    public void Open_HandcraftedMinimalFile_Loads()
    {
        using var f = GgufFile.Open(Save(Minimal()));
        Assert.Equal(3u, f.Version);
        Assert.Equal(32u, f.Alignment);
        Assert.Equal(32u, f.Metadata["general.alignment"].AsUInt32());
        var t = Assert.Single(f.Tensors);
        Assert.Equal(("w", GgmlType.F32, 8L, f.DataOffset), (t.Name, t.Type, t.ByteLength, t.FileOffset));
        Assert.Equal([1f, 2f], f.ReadTensor("w").ToArray());
        Assert.Equal(f.GetBytes("w").ToArray(), f.GetMemory("w").ToArray());
    }

    [Fact]
    public void Open_Version2_Loads()
    {
        byte[] bytes = Minimal();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), 2);
        using var f = GgufFile.Open(Save(bytes));
        Assert.Equal(2u, f.Version);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(20)]
    public void Open_FileShorterThanHeader_Throws(int length)
    {
        var e = Bad(Minimal()[..length]);
        Assert.Matches("starts with 24 bytes|left", e.Message);
    }

    [Fact]
    public void Open_BadMagic_ThrowsAtOffset0()
    {
        byte[] bytes = Minimal();
        bytes[0] = (byte)'X';
        var e = Bad(bytes);
        Assert.Equal(0, e.Offset);
        Assert.Contains("magic: expected 'GGUF' (47 47 55 46), found 58475546", e.Message);
    }

    [Theory]
    [InlineData(1u, "GGUF version 1 (32-bit counts) is not supported")]
    [InlineData(4u, "expected 2 or 3, found 4")]
    [InlineData(0x03000000u, "big-endian GGUF file (version 3 byte-swapped)")]
    public void Open_UnsupportedVersion_ThrowsAtOffset4(uint version, string message)
    {
        byte[] bytes = Minimal();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), version);
        var e = Bad(bytes);
        Assert.Equal(4, e.Offset);
        Assert.Contains(message, e.Message);
    }

    [Theory]
    [InlineData(8, "tensor_count")]
    [InlineData(16, "metadata_kv_count")]
    public void Open_CountTooLarge_ThrowsAtItsOffsetWithoutAllocating(int at, string field)
    {
        byte[] bytes = Minimal();
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(at), ulong.MaxValue / 2);
        var e = Bad(bytes);
        Assert.Equal(at, e.Offset);
        Assert.Contains($"{field}: {ulong.MaxValue / 2} entries cannot fit", e.Message);
    }

    [Fact]
    public void Open_KeyLengthPastEnd_ThrowsAtKey()
    {
        byte[] bytes = Minimal();
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(24), 1UL << 40);
        var e = Bad(bytes);
        Assert.Equal(24, e.Offset);
        Assert.Contains($"metadata key: string of {1UL << 40} bytes cannot fit", e.Message);
    }

    [Fact]
    public void Open_UndefinedValueType_ThrowsNamingKey()
    {
        var e = Bad(Minimal(b => b.Str("k").U32(13).U32(0)));
        Assert.Equal(24 + 8 + 1, e.Offset);
        Assert.Contains("metadata 'k': undefined value type 13", e.Message);
    }

    [Fact]
    public void Open_ArrayLengthTooLarge_ThrowsNamingKey()
    {
        var e = Bad(Minimal(b => b.Str("k").U32(9).U32(5).U64(1UL << 60)));
        Assert.Equal(24 + 9 + 4 + 4, e.Offset);
        Assert.Contains("metadata 'k': array of 1152921504606846976 INT32 cannot fit", e.Message);
    }

    [Fact]
    public void Open_UndefinedArrayElementType_Throws()
    {
        var e = Bad(Minimal(b => b.Str("k").U32(9).U32(99).U64(1)));
        Assert.Contains("metadata 'k': undefined array element type 99", e.Message);
    }

    [Fact]
    public void Open_DeeplyNestedArray_Throws()
    {
        var e = Bad(Minimal(b =>
        {
            b.Str("k").U32(9);
            for (int i = 0; i < 40; i++) b.U32(9).U64(1);
            b.U32(5).U64(0);
        }));
        Assert.Contains("arrays nested more than 16 deep", e.Message);
    }

    [Fact]
    public void Open_BoolNotZeroOrOne_Throws()
    {
        var e = Bad(Minimal(b => b.Str("k").U32(7).U8(2)));
        Assert.Equal(24 + 9 + 4, e.Offset);
        Assert.Contains("metadata 'k': BOOL must be 0 or 1, found 2", e.Message);
    }

    [Fact]
    public void Open_DuplicateKey_ThrowsAtSecond()
    {
        var e = Bad(Minimal(b => b.KvU32("k", 1).KvU32("k", 2), kvCount: 2));
        Assert.Equal(24 + 17, e.Offset);
        Assert.Contains("metadata key 'k': duplicate key (first at 0x18)", e.Message);
    }

    [Fact]
    public void Open_AlignmentNotUInt32_Throws()
    {
        var e = Bad(Minimal(b => b.Str("general.alignment").U32(5).U32(32)));
        Assert.Contains("general.alignment: expected UINT32, found INT32", e.Message);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(48u)]
    public void Open_AlignmentNotPowerOfTwo_Throws(uint alignment)
    {
        var e = Bad(Minimal(b => b.KvU32("general.alignment", alignment)));
        Assert.Contains($"general.alignment: expected a power of two, found {alignment}", e.Message);
    }

    static byte[] OneTensor(ulong[] ne, uint type, ulong offset, int dataBytes, string name = "t") =>
        new GgufBytes().Header(1, 0).Info(name, ne, type, offset).Pad().U32(0).ToArray().Concat(new byte[Math.Max(0, dataBytes - 4)]).ToArray();

    [Fact]
    public void Open_TooManyDims_Throws()
    {
        var e = Bad(OneTensor([1, 1, 1, 1, 1], 0, 0, 4));
        Assert.Equal(24 + 9, e.Offset);
        Assert.Contains("tensor 't': n_dims: expected at most 4, found 5", e.Message);
    }

    [Fact]
    public void Open_ZeroDim_Throws()
    {
        var e = Bad(OneTensor([4, 0], 0, 0, 16));
        Assert.Contains("tensor 't': ne[1]: expected a positive size, found 0", e.Message);
    }

    [Fact]
    public void Open_ElementCountOverflow_Throws()
    {
        var e = Bad(OneTensor([1UL << 32, 1UL << 32], 0, 0, 16));
        Assert.Contains("has more than 2^63 elements", e.Message);
    }

    [Fact]
    public void Open_ByteCountOverflow_Throws()
    {
        var e = Bad(OneTensor([1UL << 31, 1UL << 31], 0, 0, 16));
        Assert.Contains("needs more than 2^63 bytes", e.Message);
    }

    [Fact]
    public void Open_UndefinedGgmlType_Throws()
    {
        var e = Bad(OneTensor([4], 4, 0, 16));
        Assert.Contains("tensor 't': undefined ggml type 4", e.Message);
    }

    [Fact]
    public void Open_RowNotWholeBlocks_Throws()
    {
        var e = Bad(OneTensor([16, 2], (uint)GgmlType.Q8_0, 0, 64));
        Assert.Contains("tensor 't': ne[0] = 16 is not a whole number of Q8_0 blocks of 32", e.Message);
    }

    [Fact]
    public void Open_OffsetNotAligned_Throws()
    {
        var e = Bad(OneTensor([4], 0, 4, 64));
        Assert.Contains("tensor 't': offset 4 is not a multiple of the alignment 32", e.Message);
    }

    [Fact]
    public void Open_DataPastEndOfFile_ThrowsAtTensorInfo()
    {
        var e = Bad(OneTensor([4, 4], 0, 0, 60));
        Assert.Equal(24, e.Offset);
        Assert.Contains("tensor 't': data [0x60, +64) for F32 ne=[4, 4] ends past the end of the file (156 bytes)", e.Message);
    }

    [Fact]
    public void Open_OverlappingTensors_Throws()
    {
        byte[] bytes = new GgufBytes().Header(2, 0).Info("a", [16], 0, 0).Info("b", [8], 0, 32).Pad().ToArray().Concat(new byte[96]).ToArray();
        var e = Bad(bytes);
        Assert.Contains("tensor 'b': data at offset 32 overlaps 'a' [0, 64)", e.Message);
    }

    [Fact]
    public void Open_DuplicateTensorName_Throws()
    {
        byte[] bytes = new GgufBytes().Header(2, 0).Info("a", [8], 0, 0).Info("a", [8], 0, 32).Pad().ToArray().Concat(new byte[64]).ToArray();
        var e = Bad(bytes);
        Assert.Contains("tensor 'a': duplicate name (first at 0x18)", e.Message);
    }

    [Fact]
    public void Open_TensorNameTooLong_Throws()
    {
        var e = Bad(OneTensor([4], 0, 0, 16, name: new string('x', 64)));
        Assert.Contains("name has 64 bytes; ggml allows at most 63", e.Message);
    }

    [Fact]
    public void ReadFloat32_TypeWithoutConverter_ThrowsInvalidModelFile()
    {
        byte[] bytes = OneTensor([256], (uint)GgmlType.IQ2_XXS, 0, 66);
        using var f = GgufFile.Open(Save(bytes));
        var e = Assert.Throws<InvalidModelFileException>(() => f.ReadFloat32("t", new float[256]));
        Assert.Contains("tensor 't' has type IQ2_XXS, which Switchyard cannot convert to float32", e.Message);
    }

    [Fact]
    public void ReadFloat32_WrongDestinationLength_ThrowsArgument()
    {
        using var f = GgufFile.Open(Save(Minimal()));
        Assert.Throws<ArgumentException>(() => f.ReadFloat32("w", new float[3]));
        Assert.Throws<KeyNotFoundException>(() => f.GetBytes("nope"));
    }

    [Fact]
    public void Dispose_ThenRead_ThrowsObjectDisposed()
    {
        var f = GgufFile.Open(Save(Minimal()));
        f.Dispose();
        Assert.Throws<ObjectDisposedException>(() => f.GetBytes("w").ToArray());
    }
}
