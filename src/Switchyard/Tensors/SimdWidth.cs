namespace Switchyard.Tensors;

/// <summary>Vector width a kernel runs at. Fast paths are chosen once at start-up (<see cref="Simd.Best"/>).</summary>
public enum SimdWidth
{
    /// <summary>Plain scalar loop.</summary>
    Scalar,
    /// <summary>256-bit vectors (AVX2 + FMA).</summary>
    V256,
    /// <summary>512-bit vectors (AVX-512F).</summary>
    V512,
}
