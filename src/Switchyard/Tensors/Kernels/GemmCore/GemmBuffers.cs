using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Switchyard.Tensors.Kernels.GemmCore;

/// <summary>
/// One thread's packing buffers: pinned (POH) arrays grown once to the largest block any
/// kernel uses, with 64-byte aligned pointers, so steady-state GEMM calls allocate nothing.
/// </summary>
internal sealed unsafe class GemmBuffers
{
    [ThreadStatic] static GemmBuffers? _current;

    float[] _a = [], _b = [], _tile = [];
    public float* A, B, Tile;

    /// <summary>This thread's buffers, at least the given sizes in floats.</summary>
    public static GemmBuffers For(int aFloats, int bFloats, int tileFloats)
    {
        var buffers = _current ??= new GemmBuffers();
        if (buffers._a.Length < aFloats + 16) buffers.A = Grow(ref buffers._a, aFloats);
        if (buffers._b.Length < bFloats + 16) buffers.B = Grow(ref buffers._b, bFloats);
        if (buffers._tile.Length < tileFloats + 16) buffers.Tile = Grow(ref buffers._tile, tileFloats);
        return buffers;
    }

    static float* Grow(ref float[] array, int floats)
    {
        array = GC.AllocateUninitializedArray<float>(floats + 16, pinned: true);
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
        return (float*)((address + 63) & ~(nint)63);
    }
}
