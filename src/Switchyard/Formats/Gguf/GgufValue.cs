using System.Globalization;

namespace Switchyard.Formats.Gguf;

/// <summary>
/// One GGUF metadata value: a scalar of any <see cref="GgufValueType"/>, a string, or an array
/// (of scalars, strings or arrays). Immutable; equality is structural (type and contents).
/// </summary>
/// <remarks>
/// Typed accessors (<see cref="AsUInt32"/>, <see cref="AsString"/>, <see cref="AsArray{T}"/>, …) demand
/// the exact stored type, because the file's type is part of its meaning (llama.cpp rejects a
/// <c>general.alignment</c> stored as INT32). <see cref="ToInt64"/> and <see cref="ToDouble"/> accept
/// any integer or numeric type, for fields that writers store inconsistently (context lengths
/// appear as UINT32 and UINT64 in the wild).
/// </remarks>
public sealed class GgufValue : IEquatable<GgufValue>
{
    readonly object _value; // boxed scalar, string, or T[] for arrays (GgufValue[] when nested)

    GgufValue(GgufValueType type, GgufValueType elementType, object value)
    {
        Type = type;
        ElementType = elementType;
        _value = value;
    }

    /// <summary>The stored type.</summary>
    public GgufValueType Type { get; }

    /// <summary>For an array, the type of its elements; otherwise equal to <see cref="Type"/>.</summary>
    public GgufValueType ElementType { get; }

    /// <summary>Number of elements of an array; 1 for a scalar or string.</summary>
    public int Count => _value is System.Array a ? a.Length : 1;

    /// <summary>Whether the value is an array.</summary>
    public bool IsArray => Type == GgufValueType.Array;

    /// <summary>A UINT8 value.</summary>
    public static GgufValue UInt8(byte value) => new(GgufValueType.UInt8, GgufValueType.UInt8, value);
    /// <summary>An INT8 value.</summary>
    public static GgufValue Int8(sbyte value) => new(GgufValueType.Int8, GgufValueType.Int8, value);
    /// <summary>A UINT16 value.</summary>
    public static GgufValue UInt16(ushort value) => new(GgufValueType.UInt16, GgufValueType.UInt16, value);
    /// <summary>An INT16 value.</summary>
    public static GgufValue Int16(short value) => new(GgufValueType.Int16, GgufValueType.Int16, value);
    /// <summary>A UINT32 value.</summary>
    public static GgufValue UInt32(uint value) => new(GgufValueType.UInt32, GgufValueType.UInt32, value);
    /// <summary>An INT32 value.</summary>
    public static GgufValue Int32(int value) => new(GgufValueType.Int32, GgufValueType.Int32, value);
    /// <summary>A FLOAT32 value.</summary>
    public static GgufValue Float32(float value) => new(GgufValueType.Float32, GgufValueType.Float32, value);
    /// <summary>A BOOL value.</summary>
    public static GgufValue Bool(bool value) => new(GgufValueType.Bool, GgufValueType.Bool, value);
    /// <summary>A STRING value.</summary>
    public static GgufValue String(string value) =>
        new(GgufValueType.String, GgufValueType.String, value ?? throw new ArgumentNullException(nameof(value)));
    /// <summary>A UINT64 value.</summary>
    public static GgufValue UInt64(ulong value) => new(GgufValueType.UInt64, GgufValueType.UInt64, value);
    /// <summary>An INT64 value.</summary>
    public static GgufValue Int64(long value) => new(GgufValueType.Int64, GgufValueType.Int64, value);
    /// <summary>A FLOAT64 value.</summary>
    public static GgufValue Float64(double value) => new(GgufValueType.Float64, GgufValueType.Float64, value);

    /// <summary>
    /// An array whose element type follows from <typeparamref name="T"/>: byte → UINT8, sbyte → INT8,
    /// ushort, short, uint, int, float, bool, string, ulong, long, double, and <see cref="GgufValue"/>
    /// for an array of arrays (every element must then be an array). The values are copied.
    /// </summary>
    /// <exception cref="ArgumentException">T is not one of those types, or a nested element is not an array.</exception>
    public static GgufValue Array<T>(IEnumerable<T> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        GgufValueType element = ElementTypeOf(typeof(T));
        T[] copy = values.ToArray();
        if (copy is string?[] strings && System.Array.IndexOf(strings, null) >= 0)
            throw new ArgumentException("an array of strings holds no nulls", nameof(values));
        if (copy is GgufValue?[] nested)
            foreach (var v in nested)
                if (v is null || !v.IsArray) throw new ArgumentException("an array of GgufValue must hold arrays only", nameof(values));
        return new GgufValue(GgufValueType.Array, element, copy);
    }

    // Takes ownership of an array the reader built (no copy).
    internal static GgufValue WrapArray(GgufValueType elementType, System.Array values) => new(GgufValueType.Array, elementType, values);

    /// <summary>The UINT8 value.</summary>
    public byte AsUInt8() => Scalar<byte>(GgufValueType.UInt8);
    /// <summary>The INT8 value.</summary>
    public sbyte AsInt8() => Scalar<sbyte>(GgufValueType.Int8);
    /// <summary>The UINT16 value.</summary>
    public ushort AsUInt16() => Scalar<ushort>(GgufValueType.UInt16);
    /// <summary>The INT16 value.</summary>
    public short AsInt16() => Scalar<short>(GgufValueType.Int16);
    /// <summary>The UINT32 value.</summary>
    public uint AsUInt32() => Scalar<uint>(GgufValueType.UInt32);
    /// <summary>The INT32 value.</summary>
    public int AsInt32() => Scalar<int>(GgufValueType.Int32);
    /// <summary>The FLOAT32 value.</summary>
    public float AsFloat32() => Scalar<float>(GgufValueType.Float32);
    /// <summary>The BOOL value.</summary>
    public bool AsBool() => Scalar<bool>(GgufValueType.Bool);
    /// <summary>The STRING value.</summary>
    public string AsString() => Scalar<string>(GgufValueType.String);
    /// <summary>The UINT64 value.</summary>
    public ulong AsUInt64() => Scalar<ulong>(GgufValueType.UInt64);
    /// <summary>The INT64 value.</summary>
    public long AsInt64() => Scalar<long>(GgufValueType.Int64);
    /// <summary>The FLOAT64 value.</summary>
    public double AsFloat64() => Scalar<double>(GgufValueType.Float64);

    /// <summary>Any integer scalar (UINT8 … INT64) as a long.</summary>
    /// <exception cref="InvalidOperationException">Not an integer, or a UINT64 above <see cref="long.MaxValue"/>.</exception>
    public long ToInt64() => _value switch
    {
        byte v => v, sbyte v => v, ushort v => v, short v => v, uint v => v, int v => v, long v => v,
        ulong v when v <= long.MaxValue => (long)v,
        ulong v => throw new InvalidOperationException($"UINT64 value {v} does not fit a signed 64-bit integer"),
        _ => throw Mismatch("an integer"),
    };

    /// <summary>Any numeric scalar (integers, FLOAT32, FLOAT64) as a double.</summary>
    /// <exception cref="InvalidOperationException">Not a number.</exception>
    public double ToDouble() => _value switch
    {
        float f => f,
        double d => d,
        bool or string or System.Array => throw Mismatch("a number"),
        ulong u => u,
        _ => ToInt64(),
    };

    /// <summary>
    /// The elements of an array whose element type is <typeparamref name="T"/> (see <see cref="Array{T}"/>
    /// for the correspondence), without copying.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not an array, or its elements are of another type.</exception>
    public IReadOnlyList<T> AsArray<T>()
    {
        if (_value is T[] items) return items;
        throw Mismatch($"an array of {ElementTypeOf(typeof(T)).ToString().ToUpperInvariant()}");
    }

    /// <summary>
    /// The integer elements of an array of any integer type as longs (token types are INT32 in some
    /// files and UINT32 in others).
    /// </summary>
    /// <exception cref="InvalidOperationException">Not an array of integers, or a UINT64 element above <see cref="long.MaxValue"/>.</exception>
    public long[] ToInt64Array()
    {
        if (_value is not System.Array a || ElementType is GgufValueType.Float32 or GgufValueType.Float64 or GgufValueType.Bool
            or GgufValueType.String or GgufValueType.Array)
            throw Mismatch("an array of integers");
        var result = new long[a.Length];
        for (int i = 0; i < result.Length; i++)
        {
            object v = a.GetValue(i)!;
            result[i] = v is ulong u
                ? u <= long.MaxValue ? (long)u : throw new InvalidOperationException($"UINT64 element {u} does not fit a signed 64-bit integer")
                : Convert.ToInt64(v, CultureInfo.InvariantCulture);
        }
        return result;
    }

    /// <summary>Short description: the type and the value, arrays abbreviated, e.g. <c>UINT32 32</c>, <c>ARRAY[STRING × 3]</c>.</summary>
    public override string ToString() => _value switch
    {
        System.Array a => $"ARRAY[{ElementType.ToString().ToUpperInvariant()} × {a.Length}]",
        string s => $"STRING \"{(s.Length > 60 ? s[..60] + "…" : s)}\"",
        bool b => b ? "BOOL true" : "BOOL false",
        IFormattable f => $"{Type.ToString().ToUpperInvariant()} {f.ToString(null, CultureInfo.InvariantCulture)}",
        _ => Type.ToString(),
    };

    /// <inheritdoc/>
    public bool Equals(GgufValue? other)
    {
        if (other is null) return false;
        if (ReferenceEquals(this, other)) return true;
        if (Type != other.Type || ElementType != other.ElementType) return false;
        if (_value is System.Array a && other._value is System.Array b)
        {
            if (a.Length != b.Length) return false;
            for (int i = 0; i < a.Length; i++)
                if (!ElementEquals(a.GetValue(i), b.GetValue(i))) return false;
            return true;
        }
        return ElementEquals(_value, other._value);
    }

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as GgufValue);

    /// <inheritdoc/>
    public override int GetHashCode() => _value is System.Array a ? HashCode.Combine(Type, ElementType, a.Length) : HashCode.Combine(Type, _value);

    // Bitwise for floats, so NaN payloads and -0 round-trip as equal only to themselves.
    static bool ElementEquals(object? x, object? y) => (x, y) switch
    {
        (float f, float g) => BitConverter.SingleToInt32Bits(f) == BitConverter.SingleToInt32Bits(g),
        (double f, double g) => BitConverter.DoubleToInt64Bits(f) == BitConverter.DoubleToInt64Bits(g),
        _ => Equals(x, y),
    };

    internal object RawValue => _value;

    T Scalar<T>(GgufValueType type) => Type == type ? (T)_value : throw Mismatch(type.ToString().ToUpperInvariant());

    InvalidOperationException Mismatch(string expected) =>
        new($"expected {expected}, found {(IsArray ? $"an array of {ElementType.ToString().ToUpperInvariant()}" : Type.ToString().ToUpperInvariant())}");

    static GgufValueType ElementTypeOf(Type t)
    {
        if (t == typeof(byte)) return GgufValueType.UInt8;
        if (t == typeof(sbyte)) return GgufValueType.Int8;
        if (t == typeof(ushort)) return GgufValueType.UInt16;
        if (t == typeof(short)) return GgufValueType.Int16;
        if (t == typeof(uint)) return GgufValueType.UInt32;
        if (t == typeof(int)) return GgufValueType.Int32;
        if (t == typeof(float)) return GgufValueType.Float32;
        if (t == typeof(bool)) return GgufValueType.Bool;
        if (t == typeof(string)) return GgufValueType.String;
        if (t == typeof(ulong)) return GgufValueType.UInt64;
        if (t == typeof(long)) return GgufValueType.Int64;
        if (t == typeof(double)) return GgufValueType.Float64;
        if (t == typeof(GgufValue)) return GgufValueType.Array;
        throw new ArgumentException($"{t.Name} is not a GGUF element type", nameof(t));
    }
}
