using System.Runtime.InteropServices;

namespace Switchyard.Bench;

/// <summary>
/// OpenBLAS through function pointers resolved with <see cref="NativeLibrary.TryLoad(string, out IntPtr)"/>:
/// a machine without libopenblas still runs our side of every benchmark. Debian's 0.3.21 does
/// not know Zen 5 and picks its Haswell (AVX2) kernels; run with OPENBLAS_CORETYPE=SkylakeX
/// to compare against its AVX-512 kernel.
/// </summary>
internal static unsafe class OpenBlas
{
    const int RowMajor = 101, NoTrans = 111, Trans = 112;

    static readonly delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> Sgemm;
    static readonly delegate* unmanaged<int, void> SetThreads;
    static readonly delegate* unmanaged<byte*> CoreName;

    static OpenBlas()
    {
        foreach (string name in new[] { "libopenblas.so.0", "/usr/lib/x86_64-linux-gnu/libopenblas.so.0", "libopenblas.so", "libopenblas" })
        {
            if (!NativeLibrary.TryLoad(name, out IntPtr lib)) continue;
            if (!NativeLibrary.TryGetExport(lib, "cblas_sgemm", out IntPtr sgemm)) continue;
            Sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)sgemm;
            if (NativeLibrary.TryGetExport(lib, "openblas_set_num_threads", out IntPtr set))
                SetThreads = (delegate* unmanaged<int, void>)set;
            if (NativeLibrary.TryGetExport(lib, "openblas_get_corename", out IntPtr core))
                CoreName = (delegate* unmanaged<byte*>)core;
            return;
        }
    }

    public static bool Available => Sgemm != null;

    /// <summary>The kernel family OpenBLAS chose at load time (e.g. "SkylakeX", "Haswell").</summary>
    public static string Core => CoreName == null ? "unknown" : Marshal.PtrToStringAnsi((IntPtr)CoreName()) ?? "unknown";

    public static void Threads(int threads)
    {
        if (SetThreads != null) SetThreads(threads);
    }

    /// <summary>Row-major C[m×n] = op(A)·op(B) + beta·C, the same contract as Gemm.Multiply.</summary>
    public static void Multiply(float[] a, float[] b, float[] c, int m, int n, int k, bool transA, bool transB, float beta)
    {
        fixed (float* pa = a, pb = b, pc = c)
            Multiply(pa, pb, pc, m, n, k, transA, transB, beta);
    }

    public static void Multiply(float* a, float* b, float* c, int m, int n, int k, bool transA, bool transB, float beta)
    {
        Sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, 1f,
            a, transA ? m : k, b, transB ? k : n, beta, c, n);
    }
}
