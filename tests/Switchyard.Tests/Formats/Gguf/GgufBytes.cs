using System.Buffers.Binary;
using System.Text;

namespace Switchyard.Tests.Formats.Gguf;

/// <summary>Writes GGUF fields one by one, valid or not, for hand-crafted test files (as llama.cpp's HANDCRAFTED_* files).</summary>
internal sealed class GgufBytes
{
    readonly MemoryStream _s = new();

    public long Position => _s.Length;

    public GgufBytes U8(byte v) { _s.WriteByte(v); return this; }

    public GgufBytes U32(uint v)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        _s.Write(b);
        return this;
    }

    public GgufBytes U64(ulong v)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, v);
        _s.Write(b);
        return this;
    }

    public GgufBytes F32(params float[] values)
    {
        foreach (float v in values) U32(BitConverter.SingleToUInt32Bits(v));
        return this;
    }

    public GgufBytes Str(string s)
    {
        byte[] b = Encoding.UTF8.GetBytes(s);
        U64((ulong)b.Length);
        _s.Write(b);
        return this;
    }

    /// <summary>Magic, version, counts.</summary>
    public GgufBytes Header(ulong tensors, ulong kvs, uint version = 3) => U32(0x46554747).U32(version).U64(tensors).U64(kvs);

    /// <summary>A UINT32 key/value pair.</summary>
    public GgufBytes KvU32(string key, uint value) => Str(key).U32(4).U32(value);

    /// <summary>A tensor info.</summary>
    public GgufBytes Info(string name, ulong[] ne, uint type, ulong offset)
    {
        Str(name).U32((uint)ne.Length);
        foreach (ulong n in ne) U64(n);
        return U32(type).U64(offset);
    }

    public GgufBytes Pad(int alignment = 32)
    {
        while (_s.Length % alignment != 0) _s.WriteByte(0);
        return this;
    }

    public byte[] ToArray() => _s.ToArray();
}
