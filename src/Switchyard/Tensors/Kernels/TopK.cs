using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Switchyard.Tensors.Kernels;

/// <summary>
/// The k largest values of each row with their column indices, sorted descending. Equal
/// values rank by the LOWER index first, so routing on tied scores is deterministic.
/// NaN ranks above every number (as in PyTorch); −0 and +0 are equal.
/// </summary>
/// <remarks>
/// Small rows (cols ≤ 256 and k·cols ≤ 2048: routing, k ≤ 8 of ≤ 256 experts) take k
/// branch-free vector passes over packed (value, index) keys. Longer rows take one pass that
/// keeps the best k seen so far in the output row itself (a sorted list for small k, a heap
/// for larger k), so no scratch is needed; once k are held, a vector compare against the
/// weakest held value skips whole blocks that cannot enter, which for vocabulary sampling
/// (cols ≈ 50k) is almost every block.
/// </remarks>
public static class TopK
{
    // Above this k, inserting into a sorted list (O(k) shifts) loses to a heap (O(log k)).
    const int SortedListMaxK = 16;

    // Up to this k·cols, k branch-free vector passes (repeated argmax) beat one pass whose
    // insertions mispredict: the router shapes (k ≤ 8, ≤ 256 experts) land here.
    const int PassesMaxWork = 2048;

    // Rows up to this long fit their sort keys in 2 KB of stack.
    const int PassesMaxCols = 256;

    /// <summary>Per row of <paramref name="x"/>, writes the <paramref name="k"/> largest values and their column indices, largest first.</summary>
    /// <param name="x">Input, [rows, cols] row-major.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="cols">Row length.</param>
    /// <param name="k">How many to keep per row, 0 ≤ k ≤ cols.</param>
    /// <param name="indices">Receives the column indices, [rows, k].</param>
    /// <param name="values">Receives the values, [rows, k].</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is negative, or k &gt; cols.</exception>
    /// <exception cref="ArgumentException">A span's length does not match rows, cols and k.</exception>
    public static void Rows(ReadOnlySpan<float> x, int rows, int cols, int k, Span<int> indices, Span<float> values) =>
        Rows(x, rows, cols, k, indices, values, Simd.Best, ParallelRunner.Threads);

    internal static unsafe void Rows(ReadOnlySpan<float> x, int rows, int cols, int k, Span<int> indices, Span<float> values, SimdWidth width, int threads)
    {
        int size = ThrowHelper.CheckMatrixSize(rows, cols);
        if (k < 0 || k > cols) throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be in [0, cols = {cols}].");
        ThrowHelper.CheckLength(nameof(x), x.Length, "rows", rows, "cols", cols);
        ThrowHelper.CheckLength(nameof(indices), indices.Length, "rows", rows, "k", k);
        ThrowHelper.CheckLength(nameof(values), values.Length, "rows", rows, "k", k);
        if (k == 0) return;
        fixed (float* px = x, pv = values)
        fixed (int* pi = indices)
        {
            var job = RowJob.Get();
            job.A = px; job.B = pv; job.Ints = pi;
            job.Cols = cols; job.K = k; job.Items = rows; job.Width = width;
            job.Body = &RowsBody;
            job.Run(RowJob.Parts(rows, size, threads));
        }
    }

    static unsafe void RowsBody(RowJob job, int start, int end)
    {
        int cols = job.Cols, k = job.K;
        for (int r = start; r < end; r++)
            Row(new ReadOnlySpan<float>(job.A + (long)r * cols, cols), new Span<int>(job.Ints + (long)r * k, k), new Span<float>(job.B + (long)r * k, k), job.Width);
    }

    /// <summary>Top-<c>values.Length</c> of one row (1 ≤ k ≤ row length; callers check).</summary>
    internal static void Row(ReadOnlySpan<float> x, Span<int> idx, Span<float> val, SimdWidth width)
    {
        int k = val.Length;
        if (width != SimdWidth.Scalar && x.Length <= PassesMaxCols && k * x.Length <= PassesMaxWork)
        {
            ByPasses(x, idx, val, width);
            return;
        }
        bool heap = k > SortedListMaxK;
        // The first k columns fill the selection; later columns have higher indices than all
        // held ones, so they enter only by a strictly better value: ties keep the lower index.
        if (heap)
        {
            x[..k].CopyTo(val);
            for (int i = 0; i < k; i++) idx[i] = i;
            for (int p = k / 2 - 1; p >= 0; p--) SiftDown(val, idx, p, k);
        }
        else
        {
            for (int i = 0; i < k; i++) InsertSorted(val, idx, x[i], i, i);
        }

        ref float px = ref MemoryMarshal.GetReference(x);
        int n = x.Length, c = k;
        if (width == SimdWidth.V512)
        {
            for (; c <= n - Vector512<float>.Count; c += Vector512<float>.Count)
            {
                var v = Vector512.LoadUnsafe(ref px, (nuint)c);
                float weakest = heap ? val[0] : val[k - 1];
                // Candidates: greater than the weakest held value, or NaN (which outranks numbers).
                ulong hits = (Vector512.GreaterThan(v, Vector512.Create(weakest)) | ~Vector512.Equals(v, v)).ExtractMostSignificantBits();
                for (; hits != 0; hits &= hits - 1)
                {
                    int j = c + BitOperations.TrailingZeroCount(hits);
                    Consider(val, idx, Unsafe.Add(ref px, j), j, heap);
                }
            }
        }
        if (width != SimdWidth.Scalar)
        {
            for (; c <= n - Vector256<float>.Count; c += Vector256<float>.Count)
            {
                var v = Vector256.LoadUnsafe(ref px, (nuint)c);
                float weakest = heap ? val[0] : val[k - 1];
                uint hits = (Vector256.GreaterThan(v, Vector256.Create(weakest)) | ~Vector256.Equals(v, v)).ExtractMostSignificantBits();
                for (; hits != 0; hits &= hits - 1)
                {
                    int j = c + BitOperations.TrailingZeroCount(hits);
                    Consider(val, idx, Unsafe.Add(ref px, j), j, heap);
                }
            }
        }
        for (; c < n; c++) Consider(val, idx, Unsafe.Add(ref px, c), c, heap);

        if (heap)
        {
            // Heap sort: moving the weakest to the back leaves the row sorted strongest first.
            for (int last = k - 1; last > 0; last--)
            {
                (val[0], val[last]) = (val[last], val[0]);
                (idx[0], idx[last]) = (idx[last], idx[0]);
                SiftDown(val, idx, 0, last);
            }
        }
    }

    /// <summary>
    /// k vector passes over the row's sort keys, each taking the largest key below the previous
    /// pick. A key packs the whole ranking into one ulong: order-preserving bits of the value
    /// (−0 folded into +0, every NaN into one NaN above +∞) over the complement of the index
    /// (so an equal value at a lower index is the larger key). No compare can tie and the max
    /// names its column, so a pass is a compare and a max per 8 columns, without branches.
    /// </summary>
    [SkipLocalsInit] // every key is written below; zeroing 2 KB per row would cost a pass
    static void ByPasses(ReadOnlySpan<float> x, Span<int> idx, Span<float> val, SimdWidth width)
    {
        int n = x.Length;
        // Zero padding to whole vectors: every real key is > 0, so padding never wins.
        int padded = (n + 7) & ~7;
        Span<ulong> keys = stackalloc ulong[padded];
        keys[n..].Clear();
        BuildKeys(x, keys, width);
        ref ulong pk = ref MemoryMarshal.GetReference(keys);
        ulong prev = ulong.MaxValue;
        for (int j = 0; j < val.Length; j++)
        {
            ulong best;
            if (width == SimdWidth.V512)
            {
                Vector512<ulong> pv = Vector512.Create(prev), acc = Vector512<ulong>.Zero;
                for (int c = 0; c < padded; c += Vector512<ulong>.Count)
                {
                    var kv = Vector512.LoadUnsafe(ref pk, (nuint)c);
                    acc = Vector512.Max(acc, Vector512.ConditionalSelect(Vector512.LessThan(kv, pv), kv, Vector512<ulong>.Zero));
                }
                best = MaxLanes(Vector256.Max(acc.GetLower(), acc.GetUpper()));
            }
            else
            {
                Vector256<ulong> pv = Vector256.Create(prev), acc0 = Vector256<ulong>.Zero, acc1 = Vector256<ulong>.Zero;
                for (int c = 0; c < padded; c += 2 * Vector256<ulong>.Count)
                {
                    var k0 = Vector256.LoadUnsafe(ref pk, (nuint)c);
                    var k1 = Vector256.LoadUnsafe(ref pk, (nuint)(c + 4));
                    acc0 = Vector256.Max(acc0, Vector256.ConditionalSelect(Vector256.LessThan(k0, pv), k0, Vector256<ulong>.Zero));
                    acc1 = Vector256.Max(acc1, Vector256.ConditionalSelect(Vector256.LessThan(k1, pv), k1, Vector256<ulong>.Zero));
                }
                best = MaxLanes(Vector256.Max(acc0, acc1));
            }
            int i = (int)~(uint)best;
            idx[j] = i;
            val[j] = x[i]; // the element itself: its key folded −0 and NaN payloads
            prev = best;
        }
    }

    static ulong MaxLanes(Vector256<ulong> v)
    {
        var q = Vector128.Max(v.GetLower(), v.GetUpper());
        return Math.Max(q[0], q[1]);
    }

    static void BuildKeys(ReadOnlySpan<float> x, Span<ulong> keys, SimdWidth width)
    {
        ref float px = ref MemoryMarshal.GetReference(x);
        ref ulong pk = ref MemoryMarshal.GetReference(keys);
        int n = x.Length, c = 0;
        if (width == SimdWidth.V512)
        {
            var iota = Vector512.Create(0ul, 1, 2, 3, 4, 5, 6, 7);
            for (; c <= n - Vector512<float>.Count; c += Vector512<float>.Count)
            {
                var (lo, hi) = Vector512.Widen(Key32(Vector512.LoadUnsafe(ref px, (nuint)c)));
                var low = Vector512.Create(0xFFFF_FFFFul - (ulong)c) - iota; // ~index for lanes c..c+7
                Vector512.BitwiseOr(Vector512.ShiftLeft(lo, 32), low).StoreUnsafe(ref pk, (nuint)c);
                Vector512.BitwiseOr(Vector512.ShiftLeft(hi, 32), low - Vector512.Create(8ul)).StoreUnsafe(ref pk, (nuint)(c + 8));
            }
        }
        else
        {
            var iota = Vector256.Create(0ul, 1, 2, 3);
            for (; c <= n - Vector256<float>.Count; c += Vector256<float>.Count)
            {
                var (lo, hi) = Vector256.Widen(Key32(Vector256.LoadUnsafe(ref px, (nuint)c)));
                var low = Vector256.Create(0xFFFF_FFFFul - (ulong)c) - iota;
                Vector256.BitwiseOr(Vector256.ShiftLeft(lo, 32), low).StoreUnsafe(ref pk, (nuint)c);
                Vector256.BitwiseOr(Vector256.ShiftLeft(hi, 32), low - Vector256.Create(4ul)).StoreUnsafe(ref pk, (nuint)(c + 4));
            }
        }
        for (; c < n; c++) Unsafe.Add(ref pk, c) = ((ulong)Key32(Unsafe.Add(ref px, c)) << 32) | ~(uint)c;
    }

    // Order-preserving bits: flip all bits of negatives, only the sign of positives.
    const uint NaNKey = 0xFFC0_0000; // the key of +NaN: above +∞ (0xFF80_0000), below the unused 0xFFFF_FFFF

    static uint Key32(float v)
    {
        if (float.IsNaN(v)) return NaNKey;
        int b = BitConverter.SingleToInt32Bits(v + 0f); // −0 + 0 = +0: equal zeros get equal keys
        return (uint)(b ^ ((b >> 31) | int.MinValue));
    }

    static Vector512<uint> Key32(Vector512<float> v)
    {
        var b = (v + Vector512<float>.Zero).AsInt32();
        var key = (b ^ (Vector512.ShiftRightArithmetic(b, 31) | Vector512.Create(int.MinValue))).AsUInt32();
        return Vector512.ConditionalSelect(Vector512.Equals(v, v).AsUInt32(), key, Vector512.Create(NaNKey));
    }

    static Vector256<uint> Key32(Vector256<float> v)
    {
        var b = (v + Vector256<float>.Zero).AsInt32();
        var key = (b ^ (Vector256.ShiftRightArithmetic(b, 31) | Vector256.Create(int.MinValue))).AsUInt32();
        return Vector256.ConditionalSelect(Vector256.Equals(v, v).AsUInt32(), key, Vector256.Create(NaNKey));
    }

    /// <summary>Whether value <paramref name="a"/> outranks <paramref name="b"/> (NaN above all numbers; equal values do not).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static bool Beats(float a, float b) => a > b || (float.IsNaN(a) && !float.IsNaN(b));

    /// <summary>Whether (va, ia) ranks below (vb, ib): smaller value, or the same value at a higher index.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static bool Below(float va, int ia, float vb, int ib) =>
        Beats(vb, va) || (!Beats(va, vb) && ia > ib);

    /// <summary>Offers column <paramref name="i"/> (higher than every held index) to a full selection.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Consider(Span<float> val, Span<int> idx, float v, int i, bool heap)
    {
        if (heap)
        {
            if (!Beats(v, val[0])) return;
            val[0] = v; idx[0] = i;
            SiftDown(val, idx, 0, val.Length);
        }
        else if (Beats(v, val[^1]))
        {
            InsertSorted(val, idx, v, i, val.Length - 1);
        }
    }

    /// <summary>Inserts (v, i) into the descending list val[0..count) (dropping entry <paramref name="count"/>); it goes after every entry it does not beat.</summary>
    static void InsertSorted(Span<float> val, Span<int> idx, float v, int i, int count)
    {
        int j = count;
        for (; j > 0 && Beats(v, val[j - 1]); j--)
        {
            val[j] = val[j - 1];
            idx[j] = idx[j - 1];
        }
        val[j] = v;
        idx[j] = i;
    }

    /// <summary>Restores the min-heap (weakest at the root) below <paramref name="pos"/> over the first <paramref name="count"/> entries.</summary>
    static void SiftDown(Span<float> val, Span<int> idx, int pos, int count)
    {
        float v = val[pos];
        int id = idx[pos];
        while (true)
        {
            int child = 2 * pos + 1;
            if (child >= count) break;
            if (child + 1 < count && Below(val[child + 1], idx[child + 1], val[child], idx[child])) child++;
            if (!Below(val[child], idx[child], v, id)) break;
            val[pos] = val[child];
            idx[pos] = idx[child];
            pos = child;
        }
        val[pos] = v;
        idx[pos] = id;
    }

    /// <summary>The definition: a full sort of each row by (value descending, NaN first; index ascending). The test oracle.</summary>
    internal static void Reference(ReadOnlySpan<float> x, int rows, int cols, int k, Span<int> indices, Span<float> values)
    {
        var order = new int[cols];
        for (int r = 0; r < rows; r++)
        {
            float[] row = x.Slice(r * cols, cols).ToArray();
            for (int c = 0; c < cols; c++) order[c] = c;
            Array.Sort(order, (a, b) =>
            {
                float va = row[a], vb = row[b];
                bool na = float.IsNaN(va), nb = float.IsNaN(vb);
                if (na != nb) return na ? -1 : 1;
                if (!na && va != vb) return va > vb ? -1 : 1;
                return a.CompareTo(b);
            });
            for (int j = 0; j < k; j++)
            {
                indices[r * k + j] = order[j];
                values[r * k + j] = row[order[j]];
            }
        }
    }
}
