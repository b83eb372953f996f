using Switchyard.Tensors;
using Switchyard.Tensors.Kernels;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Tensors.Kernels;

public class RowOpsAllocationTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void AllRowOps_SteadyState_AllocateNothing(int threads)
    {
        // Given buffers big enough to take the parallel path when threads > 1
        const int rows = 256, cols = 160, k = 4, n = 512, width = 80;
        var rng = new Rng(61);
        float[] x = Rand.Floats(rng, rows * cols), y = new float[rows * cols], dx = new float[rows * cols], loss = new float[rows];
        int[] targets = RowOpsTestData.Indices(rng, rows, cols), topIdx = new int[rows * k], idx = RowOpsTestData.Indices(rng, n, rows);
        float[] topVal = new float[rows * k], src = Rand.Floats(rng, n * width), weights = Rand.Floats(rng, n), dW = new float[n];
        float[] table = Rand.Floats(rng, rows * width), gathered = new float[n * width];
        var w = Simd.Best;

        void All()
        {
            Softmax.Forward(x, y, rows, cols, w, threads);
            Softmax.Backward(y, x, dx, rows, cols, w, threads);
            LogSoftmax.Forward(x, y, rows, cols, w, threads);
            LogSoftmax.Backward(y, x, dx, rows, cols, w, threads);
            CrossEntropy.Forward(x, targets, y, rows, cols, -1, w, threads);
            CrossEntropy.Backward(y, targets, 1f, dx, rows, cols, -1, w, threads);
            CrossEntropy.PerRow(x, targets, loss, rows, cols, -1, w, threads);
            TopK.Rows(x, rows, cols, k, topIdx, topVal, w, threads);
            IndexSelect.Forward(table, idx, gathered, width, w, threads);
            IndexSelect.Backward(gathered, idx, table, width, w, threads);
            ScatterAdd.Rows(src, idx, weights, table, width, w, threads);
            ScatterAdd.BackwardSource(table, idx, weights, src, width, w, threads);
            ScatterAdd.BackwardWeights(src, idx, table, dW, width, w, threads);
        }

        All(); // warm up: JIT, cached job, partial-sum buffer

        // When / Then
        Assert.Equal(0, SteadyAllocation.Bytes(All));
    }
}
