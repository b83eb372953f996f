namespace Switchyard.Tensors.Kernels;

/// <summary>
/// The one reusable parallel job of the row ops. A kernel pins its spans, stores the pointers
/// and sizes here, and points <see cref="Body"/> at a static method that processes items
/// [start, end) (rows, row blocks or destination rows, as the kernel defines them). One
/// cached instance per calling thread, so a call allocates nothing; row ops never call each
/// other from inside a body, so the instance is never reused while in flight.
/// </summary>
internal sealed unsafe class RowJob : IParallelJob
{
    /// <summary>Work below this many floats runs on the calling thread: waking workers costs more than it saves.</summary>
    public const long ParallelThreshold = 32 * 1024;

    /// <summary>Least work per part once parallel, so parts stay worth a thread wake-up.</summary>
    const long MinWorkPerPart = 16 * 1024;

    [ThreadStatic] static RowJob? _cached;

    /// <summary>Processes items [start, end) of the job.</summary>
    public delegate*<RowJob, int, int, void> Body;

    /// <summary>Float operands, meaning set by the kernel.</summary>
    public float* A, B, C, D;

    /// <summary>Integer operand (indices or targets).</summary>
    public int* Ints;

    /// <summary>Number of items <see cref="Execute"/> splits into parts.</summary>
    public int Items;

    /// <summary>Sizes and flags, meaning set by the kernel.</summary>
    public int Rows, Cols, K, Count, Flag;

    /// <summary>A scalar operand (e.g. the upstream gradient scale).</summary>
    public float Scalar;

    /// <summary>Vector width the body runs at.</summary>
    public SimdWidth Width;

    /// <summary>Per-item partial sums for reductions that must not depend on the thread count.</summary>
    public double[] Partials = [];

    /// <summary>This thread's job, with every pointer cleared.</summary>
    public static RowJob Get()
    {
        var job = _cached ??= new RowJob();
        job.A = job.B = job.C = job.D = null;
        job.Ints = null;
        job.Flag = 0;
        job.Scalar = 0f;
        return job;
    }

    /// <summary>
    /// How many parts to split <paramref name="items"/> into for <paramref name="work"/> floats of
    /// work on <paramref name="threads"/> threads: 1 below <see cref="ParallelThreshold"/>.
    /// </summary>
    public static int Parts(int items, long work, int threads)
    {
        if (threads <= 1 || items <= 1 || work < ParallelThreshold) return 1;
        long byWork = Math.Max(1, work / MinWorkPerPart);
        return (int)Math.Min(Math.Min(threads, items), byWork);
    }

    /// <summary>Runs <see cref="Body"/> over all items in <paramref name="parts"/> contiguous parts; returns when done.</summary>
    public void Run(int parts)
    {
        if (Items == 0) return;
        if (parts <= 1) Body(this, 0, Items);
        else ParallelRunner.Run(this, parts);
    }

    // Row functions of the two ForEachRow helpers (y = f(x) rows; dx += f(y, dy) rows).
    delegate*<ReadOnlySpan<float>, Span<float>, SimdWidth, void> _map;

    delegate*<ReadOnlySpan<float>, ReadOnlySpan<float>, Span<float>, SimdWidth, void> _map3;

    /// <summary>
    /// row(x_r, y_r) for each of <paramref name="rows"/> rows of <paramref name="cols"/> floats
    /// (a row-wise forward such as softmax), split over threads by work.
    /// </summary>
    public static void ForEachRow(float* x, float* y, int rows, int cols, SimdWidth width, int threads,
        delegate*<ReadOnlySpan<float>, Span<float>, SimdWidth, void> row)
    {
        var job = Get();
        job.A = x; job.B = y;
        job.Cols = cols; job.Items = rows; job.Width = width;
        job._map = row;
        job.Body = &MapRows;
        job.Run(Parts(rows, (long)rows * cols, threads));
    }

    /// <summary>row(a_r, b_r, c_r) for each row (a row-wise backward: y, dy → dx).</summary>
    public static void ForEachRow(float* a, float* b, float* c, int rows, int cols, SimdWidth width, int threads,
        delegate*<ReadOnlySpan<float>, ReadOnlySpan<float>, Span<float>, SimdWidth, void> row)
    {
        var job = Get();
        job.A = a; job.B = b; job.C = c;
        job.Cols = cols; job.Items = rows; job.Width = width;
        job._map3 = row;
        job.Body = &MapRows3;
        job.Run(Parts(rows, (long)rows * cols, threads));
    }

    static void MapRows(RowJob job, int start, int end)
    {
        int cols = job.Cols;
        for (int r = start; r < end; r++)
        {
            long o = (long)r * cols;
            job._map(new ReadOnlySpan<float>(job.A + o, cols), new Span<float>(job.B + o, cols), job.Width);
        }
    }

    static void MapRows3(RowJob job, int start, int end)
    {
        int cols = job.Cols;
        for (int r = start; r < end; r++)
        {
            long o = (long)r * cols;
            job._map3(new ReadOnlySpan<float>(job.A + o, cols), new ReadOnlySpan<float>(job.B + o, cols), new Span<float>(job.C + o, cols), job.Width);
        }
    }

    /// <inheritdoc/>
    public void Execute(int part, int parts)
    {
        // Part p always covers the same items, so per-item results never depend on scheduling.
        int start = (int)((long)Items * part / parts), end = (int)((long)Items * (part + 1) / parts);
        if (start < end) Body(this, start, end);
    }
}
