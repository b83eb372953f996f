namespace Switchyard.Formats;

/// <summary>
/// Element type of a stored tensor, named as in the safetensors header (<c>"F32"</c>, <c>"BF16"</c>, ...).
/// F32, F16 and BF16 can be written; every type but the sub-byte and complex ones can be read as float32.
/// </summary>
/// <remarks>Numeric values are ours, not a file encoding: files store the name.</remarks>
public enum TensorDType
{
    /// <summary>IEEE binary32.</summary>
    F32,
    /// <summary>IEEE binary16.</summary>
    F16,
    /// <summary>bfloat16: the upper half of a binary32.</summary>
    BF16,
    /// <summary>IEEE binary64.</summary>
    F64,
    /// <summary>Signed 64-bit integer.</summary>
    I64,
    /// <summary>Signed 32-bit integer.</summary>
    I32,
    /// <summary>Signed 16-bit integer.</summary>
    I16,
    /// <summary>Signed 8-bit integer.</summary>
    I8,
    /// <summary>Unsigned 64-bit integer.</summary>
    U64,
    /// <summary>Unsigned 32-bit integer.</summary>
    U32,
    /// <summary>Unsigned 16-bit integer.</summary>
    U16,
    /// <summary>Unsigned 8-bit integer.</summary>
    U8,
    /// <summary>Boolean, one byte per element (0 = false).</summary>
    BOOL,
    /// <summary>FP8 with 4 exponent and 3 mantissa bits, no infinities (PyTorch <c>float8_e4m3fn</c>).</summary>
    F8_E4M3,
    /// <summary>FP8 with 5 exponent and 2 mantissa bits (PyTorch <c>float8_e5m2</c>).</summary>
    F8_E5M2,
    /// <summary>FP8 E4M3, finite, no negative zero, NaN = 0x80 (PyTorch <c>float8_e4m3fnuz</c>).</summary>
    F8_E4M3FNUZ,
    /// <summary>FP8 E5M2, finite, no negative zero, NaN = 0x80 (PyTorch <c>float8_e5m2fnuz</c>).</summary>
    F8_E5M2FNUZ,
    /// <summary>OCP microscaling scale: 8 exponent bits, no mantissa, 0xFF = NaN.</summary>
    F8_E8M0,
    /// <summary>OCP MXFP6 E3M2, 6 bits per element, packed. Recognised, not convertible.</summary>
    F6_E3M2,
    /// <summary>OCP MXFP6 E2M3, 6 bits per element, packed. Recognised, not convertible.</summary>
    F6_E2M3,
    /// <summary>OCP MXFP4 E2M1, 4 bits per element, packed. Recognised, not convertible.</summary>
    F4,
    /// <summary>Complex number of two binary32 parts. Recognised, not convertible to one float.</summary>
    C64,
}
