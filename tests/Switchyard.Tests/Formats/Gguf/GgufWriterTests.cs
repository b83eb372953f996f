using Switchyard.Formats.Gguf;
using Switchyard.Tensors;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Formats.Gguf;

public sealed class GgufWriterTests : IDisposable
{
    readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Every metadata value type, arrays of each, an array of strings, nested arrays and an empty array.</summary>
    internal static List<KeyValuePair<string, GgufValue>> AllValueTypes() =>
    [
        new("general.architecture", GgufValue.String("llama")),
        new("t.u8", GgufValue.UInt8(255)),
        new("t.i8", GgufValue.Int8(-128)),
        new("t.u16", GgufValue.UInt16(65535)),
        new("t.i16", GgufValue.Int16(-32768)),
        new("t.u32", GgufValue.UInt32(uint.MaxValue)),
        new("t.i32", GgufValue.Int32(int.MinValue)),
        new("t.f32", GgufValue.Float32(-1.5e-7f)),
        new("t.bool", GgufValue.Bool(true)),
        new("t.str", GgufValue.String("héllo ✓ \0 nul")),
        new("t.u64", GgufValue.UInt64(ulong.MaxValue)),
        new("t.i64", GgufValue.Int64(long.MinValue)),
        new("t.f64", GgufValue.Float64(Math.PI)),
        new("t.arr.u8", GgufValue.Array<byte>([1, 2, 3])),
        new("t.arr.i8", GgufValue.Array<sbyte>([-1, 2])),
        new("t.arr.u16", GgufValue.Array<ushort>([1, 65535])),
        new("t.arr.i16", GgufValue.Array<short>([-2, 3])),
        new("t.arr.u32", GgufValue.Array<uint>([7, 8])),
        new("t.arr.i32", GgufValue.Array<int>([-7, 8, 9])),
        new("t.arr.f32", GgufValue.Array<float>([0.5f, float.NaN, float.NegativeInfinity])),
        new("t.arr.bool", GgufValue.Array<bool>([true, false])),
        new("t.arr.str", GgufValue.Array<string>(["a", "", "ĠHello", "<0x0A>"])),
        new("t.arr.u64", GgufValue.Array<ulong>([ulong.MaxValue])),
        new("t.arr.i64", GgufValue.Array<long>([-1, long.MaxValue])),
        new("t.arr.f64", GgufValue.Array<double>([1e300, -0.0])),
        new("t.arr.empty", GgufValue.Array<int>([])),
        new("t.arr.nested", GgufValue.Array<GgufValue>([GgufValue.Array<int>([1, 2]), GgufValue.Array<string>(["x"]),
            GgufValue.Array<GgufValue>([GgufValue.Array<byte>([9])])])),
    ];

    static float[] Values(int n, int seed) => Rand.Floats(new Rng((ulong)seed), n);

    static GgufWriter Sample()
    {
        var w = new GgufWriter().AddMetadata(AllValueTypes());
        w.AddTensor("a.f32", [3, 2], Values(6, 1), GgmlType.F32);
        w.AddTensor("b.f16", [5], Values(5, 2), GgmlType.F16);
        w.AddTensor("c.bf16", [4, 1, 2], Values(8, 3), GgmlType.BF16);
        byte[] q8 = new byte[34 * 2];
        new Random(4).NextBytes(q8);
        q8[0] = 0; q8[1] = 0x3C; q8[34] = 0; q8[35] = 0x38; // f16 scales 1.0 and 0.5
        w.AddTensor("d.q8_0", [32, 2], GgmlType.Q8_0, q8);
        w.AddTensor("e.scalar4d", [1, 1, 1, 1], Values(1, 5), GgmlType.F32);
        return w;
    }

    [Fact]
    public void Write_ThenOpen_MetadataRoundTripsInOrder()
    {
        string path = _dir.File("m.gguf");
        Sample().Write(path);
        using var f = GgufFile.Open(path);
        var expected = AllValueTypes();
        Assert.Equal(expected.Select(e => e.Key), f.Metadata.Keys);
        for (int i = 0; i < expected.Count; i++) Assert.Equal(expected[i].Value, f.Metadata[i].Value);
        Assert.Equal(["a", "", "ĠHello", "<0x0A>"], f.Metadata["t.arr.str"].AsArray<string>());
        Assert.Equal([1, 2], f.Metadata["t.arr.nested"].AsArray<GgufValue>()[0].AsArray<int>());
        Assert.Equal(-128L, f.Metadata["t.i8"].ToInt64());
        Assert.Equal((double)uint.MaxValue, f.Metadata["t.u32"].ToDouble());
        Assert.Throws<InvalidOperationException>(() => f.Metadata["t.u32"].AsInt32());
        Assert.Equal([-7L, 8L, 9L], f.Metadata["t.arr.i32"].ToInt64Array());
    }

    [Fact]
    public void Write_ThenOpen_TensorsReadBack()
    {
        string path = _dir.File("t.gguf");
        Sample().Write(path);
        using var f = GgufFile.Open(path);
        Assert.Equal(["a.f32", "b.f16", "c.bf16", "d.q8_0", "e.scalar4d"], f.Tensors.Select(t => t.Name));
        var a = f.GetTensor("a.f32");
        Assert.Equal([3L, 2L], a.Dimensions);
        Assert.Equal((GgmlType.F32, 24L, "[2, 3]", 3L, 2L), (a.Type, a.ByteLength, a.FormatShape(), a.Columns, a.Rows));
        Assert.Equal(Values(6, 1), f.ReadTensor("a.f32").ToArray());
        Assert.Equal(new Shape(2, 1, 4), f.ReadTensor("c.bf16").Shape);
        float[] half = Values(5, 2), back = new float[5];
        f.ReadFloat32("b.f16", back);
        for (int i = 0; i < 5; i++) Assert.Equal((float)(Half)half[i], back[i]);
        foreach (var t in f.Tensors)
        {
            Assert.Equal(0, t.FileOffset % 32);
            Assert.Equal(f.DataOffset + t.RelativeOffset, t.FileOffset);
        }
        Assert.Equal(0, f.FileLength % 32); // every tensor padded, the last included
    }

    [Fact]
    public void ReadThenWrite_ReproducesFileByteForByte()
    {
        string first = _dir.File("first.gguf"), second = _dir.File("second.gguf");
        Sample().Write(first);
        using (var f = GgufFile.Open(first))
        {
            var w = new GgufWriter { Version = f.Version }.AddMetadata(f.Metadata);
            foreach (var t in f.Tensors) w.AddTensor(t.Name, t.Dimensions, t.Type, f.GetMemory(t.Name));
            w.Write(second);
        }
        Assert.Equal(File.ReadAllBytes(first), File.ReadAllBytes(second));
    }

    [Theory]
    [InlineData(1u)]
    [InlineData(64u)]
    public void Write_CustomAlignment_AlignsData(uint alignment)
    {
        string path = _dir.File("a.gguf");
        var w = new GgufWriter().AddMetadata("general.alignment", GgufValue.UInt32(alignment));
        w.AddTensor("x", [3], Values(3, 1));
        w.AddTensor("y", [5], Values(5, 2), GgmlType.F16);
        w.Write(path);
        using var f = GgufFile.Open(path);
        Assert.Equal(alignment, f.Alignment);
        Assert.All(f.Tensors, t => Assert.Equal(0, t.FileOffset % alignment));
        Assert.Equal(Values(3, 1), f.ReadTensor("x").ToArray());
    }

    [Fact]
    public void AddTensor_FloatsAsQ8_0_QuantizesAndReadsBackWithinHalfAStep()
    {
        string path = _dir.File("q.gguf");
        float[] x = Values(64 * 3, 9);
        new GgufWriter().AddTensor("q", [64, 3], x, GgmlType.Q8_0).Write(path);
        using var f = GgufFile.Open(path);
        Assert.Equal(2 * 3 * 34, f.GetTensor("q").ByteLength);
        float[] back = f.ReadTensor("q").ToArray();
        for (int b = 0; b < x.Length / 32; b++)
        {
            // Q8_0: d = max|x|/127 per block of 32, q = round(x/d), stored d rounded to f16: error ≤ d/2 + 127·d·2^-11.
            float scale = x.AsSpan(b * 32, 32).ToArray().Max(MathF.Abs) / 127f;
            for (int i = b * 32; i < b * 32 + 32; i++) Assert.True(MathF.Abs(x[i] - back[i]) <= scale * 0.57f + 1e-6f, $"value {i}");
        }
    }

    [Fact]
    public void AddMetadata_DuplicateOrBadAlignment_Throws()
    {
        var w = new GgufWriter().AddMetadata("k", GgufValue.Int32(1));
        Assert.Throws<ArgumentException>(() => w.AddMetadata("k", GgufValue.Int32(2)));
        Assert.Throws<ArgumentException>(() => w.AddMetadata("general.alignment", GgufValue.UInt32(24)));
        Assert.Throws<ArgumentException>(() => w.AddMetadata("general.alignment", GgufValue.Int32(32)));
    }

    [Fact]
    public void AddTensor_InvalidArguments_Throw()
    {
        var w = new GgufWriter();
        w.AddTensor("x", [2], Values(2, 1));
        Assert.Throws<ArgumentException>(() => w.AddTensor("x", [2], Values(2, 1)));
        Assert.Throws<ArgumentException>(() => w.AddTensor("y", [3], Values(2, 1)));
        Assert.Throws<ArgumentException>(() => w.AddTensor("y", [0], Values(0, 1)));
        Assert.Throws<ArgumentException>(() => w.AddTensor("y", [16], GgmlType.Q8_0, new byte[17]));
        Assert.Throws<ArgumentException>(() => w.AddTensor("y", [32], GgmlType.Q8_0, new byte[35]));
        Assert.Throws<ArgumentException>(() => w.AddTensor(new string('n', 64), [1], Values(1, 1)));
    }

    [Fact]
    public void GgufValue_ArrayOfGgufValue_RequiresArrays() =>
        Assert.Throws<ArgumentException>(() => GgufValue.Array<GgufValue>([GgufValue.Int32(1)]));
}
