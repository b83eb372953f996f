using Switchyard.Tensors.Kernels;

namespace Switchyard.Experts;

/// <summary>
/// The GEMMs of experts that are slices of one shared weight, group by group of a plan (rows offsets[e]..offsets[e+1]
/// go to slice e): a <em>row</em> slice of W [E·w, in] (rows e·w..(e+1)·w: an up/gate/q projection) or a <em>column</em>
/// slice of W [out, E·w] (columns e·w..(e+1)·w: a down/o projection). Views into W, never copies; empty groups cost
/// nothing. Forward overwrites its output; the backward halves accumulate.
/// </summary>
internal static unsafe class SliceGemm
{
    /// <summary>Y_e [r, w] = X_e [r, in]·W_eᵀ for W [E·w, in].</summary>
    public static void RowSliceForward(float* x, float* w, float* y, ReadOnlySpan<int> offsets, int width, int inF)
    {
        for (int e = 0; e + 1 < offsets.Length; e++)
        {
            int r0 = offsets[e], rows = offsets[e + 1] - r0;
            StridedGemm.Multiply(x + (nint)r0 * inF, inF, false, w + (nint)e * width * inF, inF, true, y + (nint)r0 * width, width, rows, width, inF, 0f);
        }
    }

    /// <summary>dX_e += dY_e·W_e; dW_e += dY_eᵀ·X_e (either output may be null).</summary>
    public static void RowSliceBackward(float* x, float* w, float* dy, float* dx, float* dw, ReadOnlySpan<int> offsets, int width, int inF)
    {
        for (int e = 0; e + 1 < offsets.Length; e++)
        {
            int r0 = offsets[e], rows = offsets[e + 1] - r0;
            if (rows == 0) continue;
            float* dye = dy + (nint)r0 * width;
            if (dx != null) StridedGemm.Multiply(dye, width, false, w + (nint)e * width * inF, inF, false, dx + (nint)r0 * inF, inF, rows, inF, width, 1f);
            if (dw != null) StridedGemm.Multiply(dye, width, true, x + (nint)r0 * inF, inF, false, dw + (nint)e * width * inF, inF, width, inF, rows, 1f);
        }
    }

    /// <summary>Y_e [r, out] = X_e [r, w]·W[:, S_e]ᵀ for W [out, E·w].</summary>
    public static void ColumnSliceForward(float* x, float* w, float* y, ReadOnlySpan<int> offsets, int width, int outF, int slices)
    {
        nint ld = (nint)width * slices;
        for (int e = 0; e + 1 < offsets.Length; e++)
        {
            int r0 = offsets[e], rows = offsets[e + 1] - r0;
            StridedGemm.Multiply(x + (nint)r0 * width, width, false, w + (nint)e * width, ld, true, y + (nint)r0 * outF, outF, rows, outF, width, 0f);
        }
    }

    /// <summary>dX_e += dY_e·W[:, S_e]; dW[:, S_e] += dY_eᵀ·X_e (either output may be null).</summary>
    public static void ColumnSliceBackward(float* x, float* w, float* dy, float* dx, float* dw, ReadOnlySpan<int> offsets, int width, int outF, int slices)
    {
        nint ld = (nint)width * slices;
        for (int e = 0; e + 1 < offsets.Length; e++)
        {
            int r0 = offsets[e], rows = offsets[e + 1] - r0;
            if (rows == 0) continue;
            float* dye = dy + (nint)r0 * outF;
            if (dx != null) StridedGemm.Multiply(dye, outF, false, w + (nint)e * width, ld, false, dx + (nint)r0 * width, width, rows, width, outF, 1f);
            if (dw != null) StridedGemm.Multiply(dye, outF, true, x + (nint)r0 * width, width, false, dw + (nint)e * width, ld, outF, width, rows, 1f);
        }
    }
}
