using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// The integer multiply-add steps every quantized dot product is built from. u8×s8 products go through
/// <c>vpmaddubsw</c> (pairs summed to int16, saturating) then <c>vpmaddwd</c> (int16 pairs to int32);
/// every caller keeps its operands small enough that nothing saturates (|u·s| pairs ≤ 2·128·127), so
/// the sums are exact and their order is free. AVX-VNNI's <c>vpdpbusd</c> does both steps in one where
/// the CPU has it; .NET 10 exposes no 512-bit VNNI (<c>Avx512Vnni</c>), so 512-bit code keeps the pair.
/// </summary>
internal static class ByteDot
{
    /// <summary>Whether the 256-bit integer paths can run (AVX2).</summary>
    public static bool Has256 => Avx2.IsSupported;

    /// <summary>Whether the 512-bit integer paths can run (AVX-512BW).</summary>
    public static bool Has512 => Avx512BW.IsSupported;

    /// <summary>acc + per-int32-lane Σ of 4 products u·s.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> MulAdd(Vector256<int> acc, Vector256<byte> u, Vector256<sbyte> s)
    {
        if (AvxVnni.IsSupported) return AvxVnni.MultiplyWideningAndAdd(acc, u, s);
        return Avx2.Add(acc, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u, s), Vector256<short>.One));
    }

    /// <summary>Per-int32-lane Σ_pairs (Σ of 2 products u·s)·scale, the scale per int16 pair lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> MulScaled(Vector256<byte> u, Vector256<sbyte> s, Vector256<short> scale) =>
        Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u, s), scale);

    /// <summary>acc + per-int32-lane Σ of 4 products u·s.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> MulAdd(Vector512<int> acc, Vector512<byte> u, Vector512<sbyte> s) =>
        Avx512BW.Add(acc, Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(u, s), Vector512<short>.One));

    /// <summary>Per-int32-lane Σ_pairs (Σ of 2 products u·s)·scale.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> MulScaled(Vector512<byte> u, Vector512<sbyte> s, Vector512<short> scale) =>
        Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(u, s), scale);

    /// <summary>
    /// The sums of the lower and upper 8 lanes (two 32-value blocks' dot products) in one reduction
    /// tree: swap 64-bit pairs, swap 32-bit neighbours, swap 128-bit lanes within each half.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (int Lower, int Upper) SumHalves(Vector512<int> v)
    {
        v += Avx512F.Shuffle(v, 0b01_00_11_10);
        v += Avx512F.Shuffle(v, 0b10_11_00_01);
        v += Avx512F.Shuffle4x128(v, v, 0b10_11_00_01);
        return (v.ToScalar(), v.GetUpper().ToScalar());
    }

    /// <summary>Low nibbles of each byte.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Low(Vector256<byte> v) => v & Vector256.Create((byte)0x0F);

    /// <summary>High nibbles of each byte, shifted down.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> High(Vector256<byte> v) =>
        Vector256.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & Vector256.Create((byte)0x0F);

    /// <summary>Low nibbles of each byte.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Low(Vector128<byte> v) => v & Vector128.Create((byte)0x0F);

    /// <summary>High nibbles of each byte, shifted down.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> High(Vector128<byte> v) =>
        Vector128.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & Vector128.Create((byte)0x0F);

    /// <summary>Low nibbles of each byte.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Low(Vector512<byte> v) => v & Vector512.Create((byte)0x0F);

    /// <summary>High nibbles of each byte, shifted down.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> High(Vector512<byte> v) =>
        Vector512.ShiftRightLogical(v.AsUInt16(), 4).AsByte() & Vector512.Create((byte)0x0F);
}
