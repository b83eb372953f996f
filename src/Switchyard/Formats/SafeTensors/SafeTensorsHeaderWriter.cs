using System.Buffers;
using System.Text;

namespace Switchyard.Formats;

/// <summary>
/// Builds header JSON byte for byte as the Rust crate's <c>serde_json::to_string</c> does: no
/// whitespace, <c>__metadata__</c> first, then tensors in data order, strings escaped the serde way
/// (only '"', '\' and control characters; non-ASCII stays raw UTF-8), padded with spaces to a
/// multiple of 8. System.Text.Json's writer escapes differently (non-ASCII, '+', '&lt;'...), so it
/// cannot reproduce those bytes.
/// </summary>
internal static class SafeTensorsHeaderWriter
{
    /// <summary>One tensor's header entry; <see cref="Name"/> is UTF-8.</summary>
    public readonly record struct Item(byte[] Name, TensorDType DType, int[] Shape, long Begin, long End);

    static ReadOnlySpan<byte> Hex => "0123456789abcdef"u8;

    /// <summary>The padded header bytes (without the 8-byte length prefix).</summary>
    public static byte[] Build(IReadOnlyList<Item> items, IReadOnlyList<(byte[] Key, byte[] Value)>? metadata)
    {
        var w = new ArrayBufferWriter<byte>(256 + 96 * items.Count);
        Put(w, "{"u8);
        bool first = true;
        if (metadata is not null)
        {
            Put(w, "\"__metadata__\":{"u8);
            for (int i = 0; i < metadata.Count; i++)
            {
                if (i > 0) Put(w, ","u8);
                String(w, metadata[i].Key);
                Put(w, ":"u8);
                String(w, metadata[i].Value);
            }
            Put(w, "}"u8);
            first = false;
        }
        foreach (Item t in items)
        {
            if (!first) Put(w, ","u8);
            first = false;
            String(w, t.Name);
            Put(w, ":{\"dtype\":\""u8);
            Put(w, Encoding.ASCII.GetBytes(t.DType.Name()));
            Put(w, "\",\"shape\":["u8);
            for (int i = 0; i < t.Shape.Length; i++)
            {
                if (i > 0) Put(w, ","u8);
                Number(w, t.Shape[i]);
            }
            Put(w, "],\"data_offsets\":["u8);
            Number(w, t.Begin);
            Put(w, ","u8);
            Number(w, t.End);
            Put(w, "]}"u8);
        }
        Put(w, "}"u8);
        // The Rust writer pads so the data buffer starts 8-byte aligned in the file.
        while (w.WrittenCount % 8 != 0) Put(w, " "u8);
        return w.WrittenSpan.ToArray();
    }

    static void Put(ArrayBufferWriter<byte> w, ReadOnlySpan<byte> bytes) => w.Write(bytes);

    static void Number(ArrayBufferWriter<byte> w, long v)
    {
        Span<byte> buf = stackalloc byte[20];
        v.TryFormat(buf, out int n, default, System.Globalization.CultureInfo.InvariantCulture);
        w.Write(buf[..n]);
    }

    static void String(ArrayBufferWriter<byte> w, ReadOnlySpan<byte> utf8)
    {
        Put(w, "\""u8);
        Span<byte> esc = stackalloc byte[6];
        foreach (byte b in utf8)
        {
            switch (b)
            {
                case (byte)'"': Put(w, "\\\""u8); break;
                case (byte)'\\': Put(w, "\\\\"u8); break;
                case 0x08: Put(w, "\\b"u8); break;
                case 0x09: Put(w, "\\t"u8); break;
                case 0x0A: Put(w, "\\n"u8); break;
                case 0x0C: Put(w, "\\f"u8); break;
                case 0x0D: Put(w, "\\r"u8); break;
                case < 0x20:
                    "\\u00"u8.CopyTo(esc);
                    esc[4] = Hex[b >> 4];
                    esc[5] = Hex[b & 0xF];
                    Put(w, esc);
                    break;
                default: w.GetSpan(1)[0] = b; w.Advance(1); break;
            }
        }
        Put(w, "\""u8);
    }
}
