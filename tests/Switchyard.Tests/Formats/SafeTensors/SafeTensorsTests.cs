using System.Text;
using Switchyard.Formats;
using Switchyard.Tensors;
using static Switchyard.Tests.Formats.SafeTensorsBytes;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Formats;

public sealed class SafeTensorsTests : IDisposable
{
    readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    // What Python `safetensors.torch.save_file({"a.weight": f32[2,2], "b.bias": f16[3], "c": bf16[1,2]},
    // metadata={"format": "pt"})` writes, per the spec: dtypes by descending alignment (F32, BF16, F16)
    // then names, compact JSON, __metadata__ first, padded with spaces to 8.
    const string GoldenJson =
        "{\"__metadata__\":{\"format\":\"pt\"}," +
        "\"a.weight\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}," +
        "\"c\":{\"dtype\":\"BF16\",\"shape\":[1,2],\"data_offsets\":[16,20]}," +
        "\"b.bias\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[20,26]}}";

    static byte[] GoldenData() => Concat(
        F32(1f, -2f, 0.5f, 3f),
        U16(0x3F80, 0xC000),          // bf16 1, -2
        U16(0x3C00, 0xB800, 0x7BFF)); // f16 1, -0.5, 65504

    static SafeTensorEntry[] GoldenEntries() =>
    [
        new("b.bias", new Shape(3), TensorDType.F16, new float[] { 1f, -0.5f, 65504f }),
        new("c", new Shape(1, 2), TensorDType.BF16, new float[] { 1f, -2f }),
        new("a.weight", new Shape(2, 2), TensorDType.F32, new float[] { 1f, -2f, 0.5f, 3f }),
    ];

    static readonly Dictionary<string, string> PtFormat = new() { ["format"] = "pt" };

    static byte[] ToBytes(IReadOnlyList<SafeTensorEntry> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        using var ms = new MemoryStream();
        SafeTensors.Write(ms, entries, metadata);
        return ms.ToArray();
    }

    [Fact]
    public void Write_GoldenTensors_ReproducesHandBuiltFileByteForByte()
    {
        byte[] expected = Build(GoldenJson, GoldenData());
        Assert.Equal(0, (expected.Length - GoldenData().Length) % 8);
        Assert.Equal(expected, ToBytes(GoldenEntries(), PtFormat));
    }

    [Fact]
    public void Open_GoldenFile_ParsesNamesShapesMetadataAndValues()
    {
        string path = _dir.File("golden.safetensors");
        File.WriteAllBytes(path, Build(GoldenJson, GoldenData()));

        using SafeTensorsFile f = SafeTensors.Open(path);

        Assert.Equal(["a.weight", "c", "b.bias"], f.Names);
        Assert.Equal("pt", f.Metadata["format"]);
        TensorInfo c = f.GetInfo("c");
        Assert.Equal(TensorDType.BF16, c.DType);
        Assert.Equal([1, 2], c.Shape);
        Assert.Equal((16L, 20L), (c.DataBegin, c.DataEnd));
        Assert.Equal(f.DataOffset + 16, c.FileOffset);
        Assert.Equal(0, f.DataOffset % 8);
        Assert.Equal([1f, -2f, 0.5f, 3f], f.ReadTensor("a.weight").ToArray());
        Assert.Equal(new Shape(2, 2), f.ReadTensor("a.weight").Shape);
        Assert.Equal([1f, -2f], f.ReadTensor("c").ToArray());
        Assert.Equal([1f, -0.5f, 65504f], f.ReadTensor("b.bias").ToArray());
        Assert.Equal(U16(0x3C00, 0xB800, 0x7BFF), f.GetBytes("b.bias").ToArray());
    }

    // Expected bytes from the reference crate's own unit tests (safetensors/src/tensor.rs:
    // test_serialization, test_empty): an independent oracle for our JSON and padding.
    [Fact]
    public void Write_ReferenceCrateVectors_MatchExactly()
    {
        byte[] attn = ToBytes([new("attn.0", new Shape(1, 2, 3), TensorDType.F32, new float[] { 0, 1, 2, 3, 4, 5 })], null);
        byte[] expectedAttn =
        [
            64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
            116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34,
            58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115,
            101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63,
            0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
        ];
        Assert.Equal(expectedAttn, attn);
        Assert.Equal([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32], ToBytes([], null));
        byte[] framework = ToBytes([], new Dictionary<string, string> { ["framework"] = "pt" });
        Assert.Equal(Build("{\"__metadata__\":{\"framework\":\"pt\"}}", []), framework);
        Assert.Equal(40, framework[0]);
    }

    [Fact]
    public void Write_NamesNeedingEscapes_EscapeLikeSerdeJson()
    {
        // serde_json escapes only '"', '\\' and control characters (lowercase \u00XX); non-ASCII stays raw UTF-8.
        byte[] bytes = ToBytes([new("q\"\\\n\u0001é+<", new Shape(1), TensorDType.F32, new float[] { 1 })], null);
        string header = Encoding.UTF8.GetString(bytes, 8, bytes.Length - 12).TrimEnd(' ');
        Assert.Equal("{\"q\\\"\\\\\\n\\u0001é+<\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", header);

        string path = _dir.File("escaped.safetensors");
        File.WriteAllBytes(path, bytes);
        using SafeTensorsFile f = SafeTensors.Open(path);
        Assert.Equal("q\"\\\n\u0001é+<", Assert.Single(f.Names));
    }

    [Fact]
    public void Write_SameDTypeNames_SortsByUtf8BytesLikeRust()
    {
        // U+FF21 (3 UTF-8 bytes, EF BC A1) sorts after U+10000 (F0 ...) in UTF-16 order but before it in UTF-8.
        string fullWidth = "\uFF21", astral = "\U00010000";
        byte[] bytes = ToBytes(
        [
            new(astral, new Shape(1), TensorDType.F32, new float[] { 2 }),
            new(fullWidth, new Shape(1), TensorDType.F32, new float[] { 1 }),
            new("B", new Shape(1), TensorDType.F32, new float[] { 0 }),
        ], null);
        string path = _dir.File("order.safetensors");
        File.WriteAllBytes(path, bytes);
        using SafeTensorsFile f = SafeTensors.Open(path);
        Assert.Equal(["B", fullWidth, astral], f.Names);
    }

    [Fact]
    public void WriteReadWrite_RandomTensors_IdenticalBytes()
    {
        // Given random tensors of every writable dtype, ranks 0..4, and empty ones
        var rng = new Rng(11);
        var entries = new List<SafeTensorEntry>();
        Shape[] shapes = [new([]), new(0), new(7), new(3, 5), new(2, 0, 3), new(2, 3, 1, 4), new(33), new(1, 17)];
        TensorDType[] dtypes = [TensorDType.F32, TensorDType.F16, TensorDType.BF16];
        for (int i = 0; i < 12; i++)
        {
            Shape s = shapes[i % shapes.Length];
            var data = new float[s.Size];
            rng.FillNormal(data, 3f);
            entries.Add(new($"layer.{i}.w", s, dtypes[i % 3], data));
        }
        var meta = new Dictionary<string, string> { ["format"] = "pt", ["z"] = "last", ["a"] = "first\ttab" };
        string first = _dir.File("first.safetensors"), second = _dir.File("second.safetensors");

        // When written, read back and written again
        SafeTensors.Write(first, entries, meta);
        var reread = new List<SafeTensorEntry>();
        Dictionary<string, string> meta2;
        using (SafeTensorsFile f = SafeTensors.Open(first))
        {
            foreach (string name in f.Names)
            {
                TensorInfo info = f.GetInfo(name);
                reread.Add(new(name, info.ToShape(), info.DType, f.ReadTensor(name).ToArray()));
            }
            meta2 = f.Metadata.ToDictionary();
            Assert.Equal(entries.Count, f.Names.Count);
        }
        SafeTensors.Write(second, reread, meta2);

        // Then the two files are identical
        Assert.Equal(File.ReadAllBytes(first), File.ReadAllBytes(second));
    }

    [Fact]
    public void Write_F16AndBF16_RoundToNearestOnWrite()
    {
        float x = 1.00048828125f; // 1 + 2^-11: halfway between two f16 values, ties to even (1.0)
        string path = _dir.File("round.safetensors");
        SafeTensors.Write(path,
        [
            new("h", new Shape(2), TensorDType.F16, new float[] { x, 3.14159265f }),
            new("b", new Shape(1), TensorDType.BF16, new float[] { 3.14159265f }),
        ]);
        using SafeTensorsFile f = SafeTensors.Open(path);
        Assert.Equal([1f, (float)(Half)3.14159265f], f.ReadTensor("h").ToArray());
        Assert.Equal(3.140625f, f.ReadTensor("b")[0]);
    }

    [Fact]
    public void Write_DuplicateNames_ThrowsArgumentException() =>
        Assert.Contains("duplicate tensor name 'x'", Assert.Throws<ArgumentException>(() => ToBytes(
        [
            new("x", new Shape(1), TensorDType.F32, new float[1]),
            new("x", new Shape(1), TensorDType.F16, new float[1]),
        ], null)).Message);

    [Fact]
    public void Write_DataLengthNotShapeSize_ThrowsArgumentException() =>
        Assert.Contains("shape [2, 2] has 4 elements, data has 3",
            Assert.Throws<ArgumentException>(() => ToBytes([new("w", new Shape(2, 2), TensorDType.F32, new float[3])], null)).Message);

    [Fact]
    public void Write_ScalarShape_StoresOneElementWithEmptyShape()
    {
        byte[] bytes = ToBytes([new("s", new Shape([]), TensorDType.F32, new float[] { 7 })], null);
        Assert.Equal(Build("{\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", F32(7)), bytes);
        Assert.Throws<ArgumentException>(() => ToBytes([new("s", default, TensorDType.F32, Array.Empty<float>())], null));
    }

    [Fact]
    public void Write_UnwritableDTypeOrReservedName_ThrowsArgumentException()
    {
        Assert.Contains("I32", Assert.Throws<ArgumentException>(() => ToBytes([new("w", new Shape(1), TensorDType.I32, new float[1])], null)).Message);
        Assert.Contains("reserved", Assert.Throws<ArgumentException>(() => ToBytes([new("__metadata__", new Shape(1), TensorDType.F32, new float[1])], null)).Message);
        Assert.Contains("lone surrogate", Assert.Throws<ArgumentException>(() => ToBytes([new("\ud800", new Shape(1), TensorDType.F32, new float[1])], null)).Message);
    }

    [Fact]
    public void Write_InvalidEntries_LeaveExistingFileUntouched()
    {
        string path = _dir.File("model.safetensors");
        File.WriteAllText(path, "previous checkpoint");
        Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, [new("w", new Shape(2), TensorDType.F32, new float[5])]));
        Assert.Equal("previous checkpoint", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(_dir.Path));
    }

    [Fact]
    public void From_TensorView_WritesItsElementsOnly()
    {
        var t = new Tensor(new float[] { 9, 1, 2, 3, 4 }, new Shape(5));
        var view = t.Reshape(new Shape(5));
        string path = _dir.File("view.safetensors");
        SafeTensors.Write(path, [SafeTensorEntry.From("v", view, TensorDType.BF16)]);
        using SafeTensorsFile f = SafeTensors.Open(path);
        Assert.Equal([9f, 1, 2, 3, 4], f.ReadTensor("v").ToArray());
        Assert.Equal(TensorDType.BF16, f.GetInfo("v").DType);
    }
}
