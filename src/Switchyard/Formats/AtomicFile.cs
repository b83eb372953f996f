using System.Security.Cryptography;
using System.Text;

namespace Switchyard.Formats;

/// <summary>
/// Writes a file so that readers see either the old content or the complete new content, never a
/// partial file: write a temporary file in the same folder, flush it to disk, rename it over the target.
/// </summary>
/// <remarks>
/// Rename is atomic only within one file system, hence the temporary file lives beside the target.
/// On Windows the rename fails while another process holds the target open (memory-mapped, say);
/// on Linux readers keep the old inode and are unaffected.
/// </remarks>
public static class AtomicFile
{
    /// <summary>
    /// Calls <paramref name="write"/> with a stream over a new temporary file, then replaces
    /// <paramref name="path"/> with it. If <paramref name="write"/> throws, the temporary file is
    /// deleted, an existing file at <paramref name="path"/> is left untouched, and the exception propagates.
    /// </summary>
    /// <param name="path">The file to create or replace; its folder must exist.</param>
    /// <param name="write">Writes the whole content; must not dispose the stream.</param>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' names no file", nameof(path));
        // Hidden, unique, and recognisably ours if a crash ever leaves one behind.
        string temp = Path.Combine(folder, $".{Path.GetFileName(full)}.{Convert.ToHexString(RandomNumberGenerator.GetBytes(6))}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                // Without this the rename can reach the disk before the data does, and a power
                // loss leaves an empty file where a good one used to be.
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); }
            catch (IOException) { } // keep the original exception; a stray temp file is harmless
            catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>Atomically replaces <paramref name="path"/> with <paramref name="bytes"/>.</summary>
    public static void WriteAllBytes(string path, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        Write(path, s => s.Write(bytes));
    }

    /// <summary>Atomically replaces <paramref name="path"/> with <paramref name="text"/> in UTF-8 without a byte-order mark.</summary>
    public static void WriteAllText(string path, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        WriteAllBytes(path, new UTF8Encoding(false).GetBytes(text));
    }
}
