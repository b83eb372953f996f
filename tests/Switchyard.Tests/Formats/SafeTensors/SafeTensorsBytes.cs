using System.Buffers.Binary;
using System.Text;

namespace Switchyard.Tests.Formats;

/// <summary>Builds safetensors files by hand, straight from the format description, for golden and bad-input tests.</summary>
internal static class SafeTensorsBytes
{
    /// <summary>u64 little-endian length, the JSON (space-padded to 8 when <paramref name="pad"/>), the data.</summary>
    public static byte[] Build(string json, byte[] data, bool pad = true)
    {
        byte[] header = Encoding.UTF8.GetBytes(json);
        return Build(header, data, pad);
    }

    /// <summary>As <see cref="Build(string, byte[], bool)"/> with raw header bytes (may be invalid UTF-8).</summary>
    public static byte[] Build(byte[] header, byte[] data, bool pad = true)
    {
        int n = pad ? (header.Length + 7) / 8 * 8 : header.Length;
        var bytes = new byte[8 + n + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)n);
        header.CopyTo(bytes, 8);
        bytes.AsSpan(8 + header.Length, n - header.Length).Fill((byte)' ');
        data.CopyTo(bytes, 8 + n);
        return bytes;
    }

    /// <summary>Little-endian float32 bytes.</summary>
    public static byte[] F32(params float[] values)
    {
        var b = new byte[4 * values.Length];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(4 * i), values[i]);
        return b;
    }

    /// <summary>Little-endian 16-bit words (f16 or bf16 bit patterns).</summary>
    public static byte[] U16(params ushort[] values)
    {
        var b = new byte[2 * values.Length];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(2 * i), values[i]);
        return b;
    }

    /// <summary>Concatenates byte arrays.</summary>
    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
}
