using System.Numerics;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// Softmax cross-entropy over logits with integer class targets: the language-model loss.
/// Per row, loss = log Σ_c e^(x_c − max) − (x_target − max) (log-sum-exp form, so a confident
/// wrong prediction gives a large finite loss, never log 0). Rows whose target equals the
/// ignore index (padding) contribute neither loss nor gradient.
/// </summary>
public static class CrossEntropy
{
    // Row losses are summed in fixed blocks, in double, and the block sums added in order, so
    // the mean is bit-identical whatever the thread count.
    const int BlockRows = 32;

    /// <summary>
    /// Returns the mean loss in nats over the rows whose target is not <paramref name="ignoreIndex"/>
    /// (0 when every row is ignored), and stores the softmax of every row in <paramref name="probs"/>
    /// for <see cref="Backward(ReadOnlySpan{float}, ReadOnlySpan{int}, float, Span{float}, int, int, int)"/>.
    /// </summary>
    /// <param name="logits">Logits, [rows, cols] row-major.</param>
    /// <param name="targets">Class per row, in [0, cols) or equal to <paramref name="ignoreIndex"/>; length rows.</param>
    /// <param name="probs">Receives softmax(logits), [rows, cols]. May be <paramref name="logits"/> itself, which saves a vocabulary-sized buffer per token.</param>
    /// <param name="rows">Number of rows (tokens).</param>
    /// <param name="cols">Number of classes (vocabulary size).</param>
    /// <param name="ignoreIndex">Target value that marks a row to skip.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is negative, or a target is neither a class nor the ignore index (the message names the row and value).</exception>
    /// <exception cref="ArgumentException">A span's length does not match rows and cols.</exception>
    public static float Forward(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, Span<float> probs, int rows, int cols, int ignoreIndex = -1) =>
        Forward(logits, targets, probs, rows, cols, ignoreIndex, Simd.Best, ParallelRunner.Threads);

    /// <summary>
    /// dLogits += (probs − onehot(target)) · dLoss / count for every non-ignored row, where count is
    /// the number of non-ignored rows: the gradient of <paramref name="dLoss"/> × the mean loss.
    /// Accumulates; ignored rows are left untouched.
    /// </summary>
    /// <param name="probs">The probabilities <see cref="Forward(ReadOnlySpan{float}, ReadOnlySpan{int}, Span{float}, int, int, int)"/> stored, [rows, cols].</param>
    /// <param name="targets">The same targets as the forward pass.</param>
    /// <param name="dLoss">Upstream gradient of the mean loss (1 when it is the final loss).</param>
    /// <param name="dLogits">Gradient with respect to the logits, [rows, cols]; added to.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="cols">Number of classes.</param>
    /// <param name="ignoreIndex">Target value that marks a row to skip.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is negative, or a target is neither a class nor the ignore index.</exception>
    /// <exception cref="ArgumentException">A span's length does not match rows and cols.</exception>
    public static void Backward(ReadOnlySpan<float> probs, ReadOnlySpan<int> targets, float dLoss, Span<float> dLogits, int rows, int cols, int ignoreIndex = -1) =>
        Backward(probs, targets, dLoss, dLogits, rows, cols, ignoreIndex, Simd.Best, ParallelRunner.Threads);

    /// <summary>
    /// Loss of each row in nats into <paramref name="loss"/> (0 for ignored rows), storing no
    /// probabilities: for evaluation, e.g. loss per domain or per position.
    /// </summary>
    /// <param name="logits">Logits, [rows, cols] row-major.</param>
    /// <param name="targets">Class per row, in [0, cols) or equal to <paramref name="ignoreIndex"/>; length rows.</param>
    /// <param name="loss">Receives the loss of each row; length rows.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="cols">Number of classes.</param>
    /// <param name="ignoreIndex">Target value that marks a row to skip.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is negative, or a target is neither a class nor the ignore index.</exception>
    /// <exception cref="ArgumentException">A span's length does not match rows and cols.</exception>
    public static void PerRow(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, Span<float> loss, int rows, int cols, int ignoreIndex = -1) =>
        PerRow(logits, targets, loss, rows, cols, ignoreIndex, Simd.Best, ParallelRunner.Threads);

    internal static unsafe float Forward(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, Span<float> probs, int rows, int cols, int ignoreIndex,
        SimdWidth width, int threads)
    {
        int size = ThrowHelper.CheckMatrixSize(rows, cols);
        ThrowHelper.CheckLength(nameof(logits), logits.Length, "rows", rows, "cols", cols);
        ThrowHelper.CheckLength(nameof(targets), targets.Length, "rows", rows);
        ThrowHelper.CheckLength(nameof(probs), probs.Length, "rows", rows, "cols", cols);
        int count = CheckTargets(targets, cols, ignoreIndex);
        int blocks = (rows + BlockRows - 1) / BlockRows;
        var job = RowJob.Get();
        if (job.Partials.Length < blocks) job.Partials = new double[Math.Max(blocks, 2 * job.Partials.Length)];
        fixed (float* px = logits, pp = probs)
        fixed (int* pt = targets)
        {
            job.A = px; job.B = pp; job.Ints = pt;
            job.Rows = rows; job.Cols = cols; job.K = ignoreIndex; job.Items = blocks; job.Width = width;
            job.Body = &ForwardBlocks;
            job.Run(RowJob.Parts(blocks, size, threads));
        }
        if (count == 0) return 0f;
        double total = 0;
        for (int b = 0; b < blocks; b++) total += job.Partials[b];
        return (float)(total / count);
    }

    internal static unsafe void Backward(ReadOnlySpan<float> probs, ReadOnlySpan<int> targets, float dLoss, Span<float> dLogits, int rows, int cols, int ignoreIndex,
        SimdWidth width, int threads)
    {
        int size = ThrowHelper.CheckMatrixSize(rows, cols);
        ThrowHelper.CheckLength(nameof(probs), probs.Length, "rows", rows, "cols", cols);
        ThrowHelper.CheckLength(nameof(targets), targets.Length, "rows", rows);
        ThrowHelper.CheckLength(nameof(dLogits), dLogits.Length, "rows", rows, "cols", cols);
        int count = CheckTargets(targets, cols, ignoreIndex);
        if (count == 0) return;
        fixed (float* pp = probs, pd = dLogits)
        fixed (int* pt = targets)
        {
            var job = RowJob.Get();
            job.A = pp; job.B = pd; job.Ints = pt;
            job.Cols = cols; job.K = ignoreIndex; job.Items = rows; job.Width = width;
            job.Scalar = dLoss / count;
            job.Body = &BackwardRows;
            job.Run(RowJob.Parts(rows, size, threads));
        }
    }

    internal static unsafe void PerRow(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, Span<float> loss, int rows, int cols, int ignoreIndex,
        SimdWidth width, int threads)
    {
        int size = ThrowHelper.CheckMatrixSize(rows, cols);
        ThrowHelper.CheckLength(nameof(logits), logits.Length, "rows", rows, "cols", cols);
        ThrowHelper.CheckLength(nameof(targets), targets.Length, "rows", rows);
        ThrowHelper.CheckLength(nameof(loss), loss.Length, "rows", rows);
        CheckTargets(targets, cols, ignoreIndex);
        fixed (float* px = logits, pl = loss)
        fixed (int* pt = targets)
        {
            var job = RowJob.Get();
            job.A = px; job.B = pl; job.Ints = pt;
            job.Cols = cols; job.K = ignoreIndex; job.Items = rows; job.Width = width;
            job.Body = &PerRowRows;
            job.Run(RowJob.Parts(rows, size, threads));
        }
    }

    /// <summary>Validates every target up front (workers never throw) and returns how many rows are not ignored.</summary>
    static int CheckTargets(ReadOnlySpan<int> targets, int cols, int ignoreIndex)
    {
        int count = 0;
        for (int r = 0; r < targets.Length; r++)
        {
            int t = targets[r];
            if (t == ignoreIndex) continue;
            if ((uint)t >= (uint)cols)
                throw new ArgumentOutOfRangeException(nameof(targets), t,
                    $"targets[{r}] = {t} is outside [0, {cols}) and is not the ignore index {ignoreIndex}.");
            count++;
        }
        return count;
    }

    static unsafe void ForwardBlocks(RowJob job, int start, int end)
    {
        int cols = job.Cols, ignore = job.K;
        for (int b = start; b < end; b++)
        {
            double sum = 0;
            int last = Math.Min(job.Rows, (b + 1) * BlockRows);
            for (int r = b * BlockRows; r < last; r++)
            {
                long o = (long)r * cols;
                var x = new ReadOnlySpan<float>(job.A + o, cols);
                int t = job.Ints[r];
                float target = t == ignore ? 0f : x[t]; // read before probs may overwrite the logits
                var (max, expSum) = Softmax.Row(x, new Span<float>(job.B + o, cols), job.Width);
                if (t != ignore) sum += RowLoss(target, max, expSum);
            }
            job.Partials[b] = sum;
        }
    }

    static unsafe void PerRowRows(RowJob job, int start, int end)
    {
        int cols = job.Cols, ignore = job.K;
        for (int r = start; r < end; r++)
        {
            int t = job.Ints[r];
            if (t == ignore)
            {
                job.B[r] = 0f;
                continue;
            }
            var x = new ReadOnlySpan<float>(job.A + (long)r * cols, cols);
            float max = VectorMath.Max(x, job.Width);
            float expSum = float.IsNegativeInfinity(max) ? 0f : VectorMath.ExpShiftSum(x, max, job.Width);
            job.B[r] = RowLoss(x[t], max, expSum);
        }
    }

    // log Σ e^(x − max) − (x_t − max): exact (x_t − max) keeps precision for large logits.
    static float RowLoss(float target, float max, float expSum) =>
        float.IsNegativeInfinity(max) ? float.PositiveInfinity : MathF.Log(expSum) - (target - max);

    static unsafe void BackwardRows(RowJob job, int start, int end)
    {
        int cols = job.Cols, ignore = job.K;
        float g = job.Scalar;
        for (int r = start; r < end; r++)
        {
            int t = job.Ints[r];
            if (t == ignore) continue;
            long o = (long)r * cols;
            var dx = new Span<float>(job.B + o, cols);
            VectorMath.AddScaled(new ReadOnlySpan<float>(job.A + o, cols), g, dx, job.Width);
            dx[t] -= g;
        }
    }

    /// <summary>The definition, generic so it runs in double as the test oracle: mean loss, probabilities into <paramref name="probs"/>.</summary>
    internal static T ReferenceForward<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> targets, Span<T> probs, int rows, int cols, int ignoreIndex = -1)
        where T : IFloatingPointIeee754<T>
    {
        Softmax.ReferenceForward(logits, probs, rows, cols);
        T total = T.Zero;
        int count = 0;
        for (int r = 0; r < rows; r++)
        {
            if (targets[r] == ignoreIndex) continue;
            ReadOnlySpan<T> x = logits.Slice(r * cols, cols);
            T max = T.NegativeInfinity;
            foreach (T v in x) max = T.Max(max, v);
            T sum = T.Zero;
            foreach (T v in x) sum += T.Exp(v - max);
            total += T.Log(sum) - (x[targets[r]] - max);
            count++;
        }
        return count == 0 ? T.Zero : total / T.CreateChecked(count);
    }

    /// <summary>dLogits += (probs − onehot)·dLoss/count over non-ignored rows, generic (the backward oracle).</summary>
    internal static void ReferenceBackward<T>(ReadOnlySpan<T> probs, ReadOnlySpan<int> targets, T dLoss, Span<T> dLogits, int rows, int cols, int ignoreIndex = -1)
        where T : IFloatingPointIeee754<T>
    {
        int count = 0;
        for (int r = 0; r < rows; r++) if (targets[r] != ignoreIndex) count++;
        if (count == 0) return;
        T g = dLoss / T.CreateChecked(count);
        for (int r = 0; r < rows; r++)
        {
            if (targets[r] == ignoreIndex) continue;
            for (int c = 0; c < cols; c++)
                dLogits[r * cols + c] += (probs[r * cols + c] - (c == targets[r] ? T.One : T.Zero)) * g;
        }
    }
}
