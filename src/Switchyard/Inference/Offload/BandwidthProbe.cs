using System.Diagnostics;
using System.Runtime.Intrinsics;
using Microsoft.Win32.SafeHandles;
using Switchyard.Tensors;

namespace Switchyard.Inference;

/// <summary>
/// Measures the two bandwidths that bound decoding a large MoE on a CPU: memory read bandwidth (every
/// active weight is read once per token) and file read bandwidth (every expert missed in the pool is read
/// from the checkpoint). Used by <see cref="MemoryPlan"/> and the decode benchmark's bandwidth ceiling.
/// </summary>
public static class BandwidthProbe
{
    /// <summary>Default memory probe buffer: 512 MiB, far larger than any L3 (so the sum streams from DRAM).</summary>
    public const long DefaultBufferBytes = 512L << 20;

    /// <summary>Default block of a file read: 8 MiB, about one expert of a 30B-class MoE in bf16.</summary>
    public const int DefaultBlockBytes = 8 << 20;

    static double _sink;

    /// <summary>
    /// Memory read bandwidth in GB/s (10⁹ bytes per second): the best of <paramref name="repetitions"/> timed
    /// sums over a buffer of <paramref name="bufferBytes"/>, split statically over <paramref name="threads"/>
    /// threads of <see cref="ParallelRunner"/> (a single thread reaches only a fraction of what the memory
    /// system gives). The buffer is written once first so that its pages exist.
    /// </summary>
    /// <param name="bufferBytes">Bytes summed per repetition; make it ≫ the last-level cache.</param>
    /// <param name="repetitions">Timed passes; the fastest counts.</param>
    /// <param name="threads">Parts to split over (0: <see cref="ParallelRunner.Threads"/>).</param>
    public static unsafe double MeasureMemoryReadGBps(long bufferBytes = DefaultBufferBytes, int repetitions = 5, int threads = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferBytes, 4096L);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(repetitions);
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        long count = Math.Min(bufferBytes / sizeof(float), Array.MaxLength);
        float[] buffer = GC.AllocateUninitializedArray<float>((int)count, pinned: true);
        buffer.AsSpan().Fill(1f);
        int parts = threads == 0 ? ParallelRunner.Threads : threads;
        var job = new SumJob { Count = count, Sums = new double[parts] };
        double best = double.MaxValue;
        fixed (float* p = buffer)
        {
            job.Data = p;
            ParallelRunner.Run(job, parts); // warm the threads and the TLB
            for (int r = 0; r < repetitions; r++)
            {
                long start = Stopwatch.GetTimestamp();
                ParallelRunner.Run(job, parts);
                best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
            }
        }
        Volatile.Write(ref _sink, job.Sums.Sum()); // the sums are used, so the reads cannot be optimized away
        return count * (double)sizeof(float) / best / 1e9;
    }

    /// <summary>
    /// Sequential read bandwidth of <paramref name="path"/> with explicit positional reads of
    /// <paramref name="blockBytes"/> into one buffer (as expert streaming reads), over the first
    /// <paramref name="maxBytes"/> of the file, twice.
    /// </summary>
    /// <remarks>
    /// The OS page cache may serve either pass: the first pass measures the disk only if the file was not
    /// read recently (drop the cache or use a file larger than free memory to be sure); the second pass
    /// shows what cached reads give. <see cref="FileReadBandwidth.LikelyCachedBothTimes"/> tells when the two cannot be told apart.
    /// </remarks>
    public static FileReadBandwidth MeasureFileRead(string path, int blockBytes = DefaultBlockBytes, long maxBytes = 1L << 30)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        using SafeFileHandle file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        long bytes = Math.Min(RandomAccess.GetLength(file), maxBytes);
        byte[] block = GC.AllocateUninitializedArray<byte>((int)Math.Min(blockBytes, Math.Max(bytes, 1)), pinned: true);
        double first = Pass(file, block, bytes), warm = Pass(file, block, bytes);
        return new FileReadBandwidth(path, bytes, block.Length, bytes / first / 1e9, bytes / warm / 1e9);
    }

    static double Pass(SafeFileHandle file, byte[] block, long bytes)
    {
        long start = Stopwatch.GetTimestamp();
        for (long at = 0; at < bytes;)
        {
            int n = RandomAccess.Read(file, block.AsSpan(0, (int)Math.Min(block.Length, bytes - at)), at);
            if (n == 0) break; // shrank meanwhile: time what was read
            at += n;
        }
        // A file of a few bytes reads in well under a timer tick; never divide by zero.
        return Math.Max(Stopwatch.GetElapsedTime(start).TotalSeconds, 1e-9);
    }

    sealed unsafe class SumJob : IParallelJob
    {
        public float* Data;
        public long Count;
        public double[] Sums = [];

        public void Execute(int part, int parts)
        {
            long begin = Count * part / parts, end = Count * (part + 1) / parts;
            Sums[part] = Sum(Data + begin, end - begin);
        }

        // Four independent accumulators: one would make the loop latency-bound, not memory-bound.
        static double Sum(float* p, long n)
        {
            long i = 0;
            float total = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                Vector512<float> a = default, b = default, c = default, d = default;
                for (; i <= n - 4 * Vector512<float>.Count; i += 4 * Vector512<float>.Count)
                {
                    a += Vector512.Load(p + i);
                    b += Vector512.Load(p + i + Vector512<float>.Count);
                    c += Vector512.Load(p + i + 2 * Vector512<float>.Count);
                    d += Vector512.Load(p + i + 3 * Vector512<float>.Count);
                }
                total = Vector512.Sum(a + b + c + d);
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                Vector256<float> a = default, b = default, c = default, d = default;
                for (; i <= n - 4 * Vector256<float>.Count; i += 4 * Vector256<float>.Count)
                {
                    a += Vector256.Load(p + i);
                    b += Vector256.Load(p + i + Vector256<float>.Count);
                    c += Vector256.Load(p + i + 2 * Vector256<float>.Count);
                    d += Vector256.Load(p + i + 3 * Vector256<float>.Count);
                }
                total = Vector256.Sum(a + b + c + d);
            }
            double sum = total;
            for (; i < n; i++) sum += p[i];
            return sum;
        }
    }
}
