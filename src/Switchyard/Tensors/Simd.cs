using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Switchyard.Tensors;

/// <summary>The machine's vector capabilities, read once.</summary>
public static class Simd
{
    /// <summary>The widest width this machine runs fast. <c>SWITCHYARD_SIMD=scalar|v256|v512</c> caps it (for tests and comparisons).</summary>
    public static SimdWidth Best { get; } = Choose();

    /// <summary>Whether kernels can run at <paramref name="width"/> here.</summary>
    public static bool IsSupported(SimdWidth width) => width switch
    {
        SimdWidth.V512 => Vector512.IsHardwareAccelerated && Avx512F.IsSupported,
        SimdWidth.V256 => Vector256.IsHardwareAccelerated && Fma.IsSupported,
        _ => true,
    };

    static SimdWidth Choose()
    {
        SimdWidth cap = Environment.GetEnvironmentVariable("SWITCHYARD_SIMD")?.ToLowerInvariant() switch
        {
            "scalar" => SimdWidth.Scalar,
            "v256" => SimdWidth.V256,
            _ => SimdWidth.V512,
        };
        for (var w = cap; w > SimdWidth.Scalar; w--)
            if (IsSupported(w)) return w;
        return SimdWidth.Scalar;
    }
}
