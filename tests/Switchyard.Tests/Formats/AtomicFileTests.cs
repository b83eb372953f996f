using Switchyard.Formats;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Formats;

public sealed class AtomicFileTests : IDisposable
{
    readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Write_WriterThrowsMidway_ExistingFileIntactAndNoTempLeft()
    {
        string path = _dir.File("model.safetensors");
        File.WriteAllText(path, "the user's checkpoint");

        var e = Assert.Throws<IOException>(() => AtomicFile.Write(path, s =>
        {
            s.Write(new byte[100_000]); // partly written, some of it already flushed past the buffer
            throw new IOException("disk full");
        }));

        Assert.Equal("disk full", e.Message);
        Assert.Equal("the user's checkpoint", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(_dir.Path));
    }

    [Fact]
    public void Write_WriterThrowsAndNoFileBefore_LeavesNothing()
    {
        string path = _dir.File("new.bin");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.WriteByte(1);
            throw new InvalidOperationException();
        }));
        Assert.Empty(Directory.GetFiles(_dir.Path));
    }

    [Fact]
    public void Write_Succeeds_ReplacesContentCompletely()
    {
        string path = _dir.File("config.json");
        File.WriteAllText(path, "a much longer previous content");
        AtomicFile.WriteAllText(path, "{}");
        Assert.Equal("{}", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(_dir.Path));
    }

    [Fact]
    public void Write_RelativePath_WritesBesideTarget()
    {
        string old = Environment.CurrentDirectory;
        try
        {
            Environment.CurrentDirectory = _dir.Path;
            AtomicFile.WriteAllBytes("rel.bin", [1, 2, 3]);
        }
        finally
        {
            Environment.CurrentDirectory = old;
        }
        Assert.Equal([1, 2, 3], File.ReadAllBytes(_dir.File("rel.bin")));
    }

    [Fact]
    public void Write_MissingFolder_ThrowsAndCreatesNothing() =>
        Assert.Throws<DirectoryNotFoundException>(() => AtomicFile.WriteAllText(_dir.File("no/such/folder.txt"), "x"));
}
