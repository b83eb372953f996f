namespace Switchyard.Tensors;

/// <summary>
/// Element or block type of a tensor as ggml numbers it (<c>enum ggml_type</c>), the numbers GGUF files
/// store. Quantized types pack a block of <see cref="GgmlTypes.BlockSize"/> values into
/// <see cref="GgmlTypes.TypeSize"/> bytes. Numbers missing here were removed from ggml and are invalid in files.
/// </summary>
public enum GgmlType
{
    /// <summary>IEEE binary32.</summary>
    F32 = 0,
    /// <summary>IEEE binary16.</summary>
    F16 = 1,
    /// <summary>32 values: f16 scale + 16 bytes of 4-bit values (offset 8).</summary>
    Q4_0 = 2,
    /// <summary>32 values: f16 scale, f16 min, 4-bit values.</summary>
    Q4_1 = 3,
    /// <summary>32 values: f16 scale, 32 high bits, 4-bit low parts.</summary>
    Q5_0 = 6,
    /// <summary>32 values: f16 scale, f16 min, 32 high bits, 4-bit low parts.</summary>
    Q5_1 = 7,
    /// <summary>32 values: f16 scale + 32 signed bytes.</summary>
    Q8_0 = 8,
    /// <summary>32 values: f16 scale, f16 scaled sum, 32 signed bytes.</summary>
    Q8_1 = 9,
    /// <summary>256-value super-block, 2-bit.</summary>
    Q2_K = 10,
    /// <summary>256-value super-block, 3-bit.</summary>
    Q3_K = 11,
    /// <summary>256-value super-block: f16 d, f16 dmin, 12 bytes of 6-bit scales/mins, 128 bytes of 4-bit values.</summary>
    Q4_K = 12,
    /// <summary>256-value super-block, 5-bit.</summary>
    Q5_K = 13,
    /// <summary>256-value super-block: 128 bytes low 4 bits, 64 bytes high 2 bits, 16 int8 scales, f16 d.</summary>
    Q6_K = 14,
    /// <summary>256-value super-block of int8 with a float32 scale and 16 block sums (activation side of K dot products).</summary>
    Q8_K = 15,
    /// <summary>i-quant, 2.06 bits per weight.</summary>
    IQ2_XXS = 16,
    /// <summary>i-quant, 2.31 bits per weight.</summary>
    IQ2_XS = 17,
    /// <summary>i-quant, 3.06 bits per weight.</summary>
    IQ3_XXS = 18,
    /// <summary>i-quant, 1.56 bits per weight.</summary>
    IQ1_S = 19,
    /// <summary>i-quant, 4-bit non-linear, 32-value blocks.</summary>
    IQ4_NL = 20,
    /// <summary>i-quant, 3.44 bits per weight.</summary>
    IQ3_S = 21,
    /// <summary>i-quant, 2.5 bits per weight.</summary>
    IQ2_S = 22,
    /// <summary>i-quant, 4.25 bits per weight.</summary>
    IQ4_XS = 23,
    /// <summary>Signed 8-bit integer.</summary>
    I8 = 24,
    /// <summary>Signed 16-bit integer.</summary>
    I16 = 25,
    /// <summary>Signed 32-bit integer.</summary>
    I32 = 26,
    /// <summary>Signed 64-bit integer.</summary>
    I64 = 27,
    /// <summary>IEEE binary64.</summary>
    F64 = 28,
    /// <summary>i-quant, 1.75 bits per weight.</summary>
    IQ1_M = 29,
    /// <summary>bfloat16.</summary>
    BF16 = 30,
    /// <summary>Ternary, 1.69 bits per weight.</summary>
    TQ1_0 = 34,
    /// <summary>Ternary, 2.06 bits per weight.</summary>
    TQ2_0 = 35,
    /// <summary>OCP MXFP4, 32-value blocks with an E8M0 scale.</summary>
    MXFP4 = 39,
}
