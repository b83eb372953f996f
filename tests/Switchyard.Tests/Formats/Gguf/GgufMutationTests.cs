using System.Buffers.Binary;
using System.Diagnostics;
using Switchyard.Formats;
using Switchyard.Formats.Gguf;
using Switchyard.Tensors;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Formats.Gguf;

/// <summary>
/// Thousands of random corruptions of a small valid GGUF file: each one must either load and read
/// every tensor without an exception, or throw <see cref="InvalidModelFileException"/>; nothing else.
/// </summary>
public sealed class GgufMutationTests : IDisposable
{
    readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    // Where the counts, lengths, types, dims and offsets of the valid file are: (position, width in bytes).
    sealed record Sample(byte[] Bytes, List<(long At, int Width)> Fields, long DataOffset);

    static Sample Build()
    {
        var fields = new List<(long, int)>();
        var b = new GgufBytes();
        void F(int width) => fields.Add((b.Position, width));
        F(4); b.U32(0x46554747);
        F(4); b.U32(3);
        F(8); b.U64(4);
        F(8); b.U64(5);
        F(8); b.Str("general.alignment"); F(4); b.U32(4); F(4); b.U32(32);
        F(8); b.Str("general.name"); F(4); b.U32(8); F(8); b.Str("tiny");
        F(8); b.Str("t.tokens"); F(4); b.U32(9); F(4); b.U32(8); F(8); b.U64(3); F(8); b.Str("a"); F(8); b.Str("bc"); F(8); b.Str("");
        F(8); b.Str("t.nested"); F(4); b.U32(9); F(4); b.U32(9); F(8); b.U64(2);
        F(4); b.U32(5); F(8); b.U64(2); b.U32(1).U32(2);
        F(4); b.U32(7); F(8); b.U64(1); b.U8(1);
        F(8); b.Str("t.f"); F(4); b.U32(6); b.F32(0.5f);
        // Tensors: F32 [4, 2], F16 [6], Q8_0 [32] (readable after the quant merge; until then a clean rejection), BF16 [2, 2]
        (string Name, ulong[] Ne, GgmlType Type, int Bytes)[] tensors =
        [
            ("a", [4, 2], GgmlType.F32, 32), ("b", [6], GgmlType.F16, 12), ("c", [32], GgmlType.Q8_0, 34), ("d", [2, 2], GgmlType.BF16, 8),
        ];
        ulong offset = 0;
        foreach (var t in tensors)
        {
            F(8); b.Str(t.Name);
            F(4); b.U32((uint)t.Ne.Length);
            foreach (ulong n in t.Ne) { F(8); b.U64(n); }
            F(4); b.U32((uint)t.Type);
            F(8); b.U64(offset);
            offset += (ulong)((t.Bytes + 31) / 32 * 32);
        }
        b.Pad();
        long data = b.Position;
        var rng = new Random(5);
        foreach (var t in tensors)
        {
            for (int i = 0; i < t.Bytes; i++) b.U8((byte)rng.Next(256));
            b.Pad();
        }
        return new Sample(b.ToArray(), fields, data);
    }

    static readonly ulong[] Extremes =
    [
        0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 31, 32, 33, 63, 64, 255, 256, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x1_0000_0000,
        0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, ulong.MaxValue, ulong.MaxValue - 31, 1UL << 40, 1UL << 62,
    ];

    static byte[] Mutate(Sample s, Random rng)
    {
        byte[] b = (byte[])s.Bytes.Clone();
        switch (rng.Next(6))
        {
            case 0: // a count, length, type, dim or offset set to an extreme value
            {
                var (at, width) = s.Fields[rng.Next(s.Fields.Count)];
                ulong v = rng.Next(4) == 0 ? (ulong)rng.NextInt64() : Extremes[rng.Next(Extremes.Length)];
                if (width == 4) BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan((int)at), (uint)v);
                else BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan((int)at), v);
                return b;
            }
            case 1: // a field nudged by a small amount (plausible but wrong)
            {
                var (at, width) = s.Fields[rng.Next(s.Fields.Count)];
                long delta = rng.Next(-40, 41);
                if (width == 4) BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan((int)at), (uint)(BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan((int)at)) + delta));
                else BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan((int)at), (ulong)((long)BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan((int)at)) + delta));
                return b;
            }
            case 2: // bit flips in the header
                for (int k = 1 + rng.Next(3); k > 0; k--) b[rng.Next((int)s.DataOffset)] ^= (byte)(1 << rng.Next(8));
                return b;
            case 3: // random bytes anywhere, data included
                for (int k = 1 + rng.Next(4); k > 0; k--) b[rng.Next(b.Length)] = (byte)rng.Next(256);
                return b;
            case 4: // bytes inserted or removed inside the header
            {
                int at = rng.Next((int)s.DataOffset);
                return rng.Next(2) == 0
                    ? [.. b[..at], .. Enumerable.Range(0, 1 + rng.Next(9)).Select(_ => (byte)rng.Next(256)), .. b[at..]]
                    : [.. b[..at], .. b[Math.Min(b.Length, at + 1 + rng.Next(9))..]];
            }
            default: // appended garbage
                return [.. b, .. Enumerable.Range(0, 1 + rng.Next(40)).Select(_ => (byte)rng.Next(256))];
        }
    }

    static bool LoadAndReadAll(string path) => LoadAndReadAll(() => GgufFile.Open(path));

    static bool LoadAndReadAll(byte[] bytes) => LoadAndReadAll(() => GgufFile.FromMemory("fuzz.gguf", bytes));

    static bool LoadAndReadAll(Func<GgufFile> open)
    {
        try
        {
            using var f = open();
            foreach (var (key, value) in f.Metadata) _ = key.Length + value.ToString().Length + value.Count;
            foreach (var t in f.Tensors)
            {
                _ = f.GetBytes(t.Name).Length + f.GetMemory(t.Name).Length;
                if (GgufFile.CanReadAsFloat32(t.Type)) f.ReadFloat32(t.Name, new float[t.ElementCount]);
            }
            return true;
        }
        catch (InvalidModelFileException)
        {
            return false;
        }
    }

    [Fact]
    public void Open_EveryTruncation_ThrowsInvalidModelFile()
    {
        // Given a valid file
        Sample s = Build();
        string path = _dir.File("cut.gguf");
        File.WriteAllBytes(path, s.Bytes);
        Assert.True(LoadAndReadAll(path));
        // When it is cut at every length short of the last tensor's end, then each is rejected
        // (the last tensor's padding is optional, so cuts inside it may load)
        for (int n = 0; n < s.Bytes.Length - 32 + 8; n++)
            Assert.False(LoadAndReadAll(s.Bytes[..n]), $"truncated to {n} bytes loaded");
        // and a few through the memory map too (an empty file cannot be mapped)
        foreach (int n in new[] { 0, 1, 23, 24, (int)s.DataOffset, s.Bytes.Length - 30 })
        {
            File.WriteAllBytes(path, s.Bytes[..n]);
            Assert.False(LoadAndReadAll(path), $"truncated to {n} bytes loaded from disk");
        }
    }

    [Fact]
    public void Open_RandomCorruptions_LoadCleanlyOrThrowInvalidModelFile()
    {
        // Given a valid file with every region (counts, metadata of several types, arrays, nested arrays, tensor infos, data)
        Sample s = Build();
        var rng = new Random(20261125);
        int clean = 0, rejected = 0;
        const int Trials = 4000;
        var clock = Stopwatch.StartNew();

        // When each mutation is opened, its metadata enumerated and every tensor read
        for (int trial = 0; trial < Trials; trial++)
        {
            // Then it loads or throws InvalidModelFileException (anything else fails the test here)
            if (LoadAndReadAll(Mutate(s, rng))) clean++;
            else rejected++;
        }
        Assert.True(rejected > Trials / 3, $"only {rejected} of {Trials} mutations were rejected");
        Assert.True(clean > Trials / 20, $"only {clean} of {Trials} mutations loaded");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"{Trials} mutations took {clock.Elapsed}");
    }
}
