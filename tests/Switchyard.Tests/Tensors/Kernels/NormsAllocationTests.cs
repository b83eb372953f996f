using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Tensors.Kernels;

/// <summary>The norm, activation and RoPE kernels allocate nothing once warm, on one thread or several.</summary>
public class NormsAllocationTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void AllKernels_SteadyState_AllocateNothing(int threads)
    {
        // Given buffers large enough that threads > 1 really splits the work
        const int rows = 96, cols = 1024, n = rows * cols, heads = 8, headDim = 128, tokens = n / (heads * headDim);
        var rng = new Rng(71);
        float[] x = Rand.Floats(rng, n), w = Rand.Floats(rng, cols), b = Rand.Floats(rng, cols), y = new float[n], dy = Rand.Floats(rng, n);
        float[] dx = new float[n], dw = new float[cols], db = new float[cols], s1 = new float[rows], s2 = new float[rows], d2 = new float[n];
        int[] pos = new int[tokens];
        for (int t = 0; t < tokens; t++) pos[t] = 3 * t;
        void All()
        {
            RmsNorm.Forward(x, w, y, s1, rows, cols, 1e-6f, Simd.Best, threads);
            RmsNorm.Backward(x, w, s1, dy, dx, dw, rows, cols, Simd.Best, threads);
            LayerNorm.Forward(x, w, b, y, s1, s2, rows, cols, 1e-5f, Simd.Best, threads);
            LayerNorm.Backward(x, w, s1, s2, dy, dx, dw, db, rows, cols, Simd.Best, threads);
            Silu.Forward(x, y, Simd.Best, threads);
            Silu.Backward(x, dy, dx, Simd.Best, threads);
            Gelu.Forward(x, y, false, Simd.Best, threads);
            Gelu.Backward(x, dy, dx, true, Simd.Best, threads);
            SwiGlu.Forward(x, dy, y, Simd.Best, threads);
            SwiGlu.Backward(x, dy, y, dx, d2, Simd.Best, threads);
            Rope.Forward(x, y, pos, tokens, heads, headDim, 10000f, Simd.Best, threads);
            Rope.Backward(dy, dx, pos, tokens, heads, headDim, 10000f, Simd.Best, threads);
        }
        for (int i = 0; i < 3; i++) All();

        // When
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 3; i++) All();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // Then
        Assert.Equal(0, allocated);
    }
}
