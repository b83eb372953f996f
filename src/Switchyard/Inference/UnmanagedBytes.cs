using System.Buffers;

namespace Switchyard.Inference;

/// <summary>
/// Memory over bytes outside the GC heap (a memory-mapped file), so mapped weights become a
/// <see cref="WeightMatrix"/> without a copy. The owner of the mapping keeps it alive.
/// </summary>
internal sealed unsafe class UnmanagedBytes : MemoryManager<byte>
{
    readonly byte* _pointer;
    readonly int _length;

    public UnmanagedBytes(byte* pointer, int length)
    {
        _pointer = pointer;
        _length = length;
    }

    public override Span<byte> GetSpan() => new(_pointer, _length);

    // Mapped memory never moves: pinning is a no-op.
    public override MemoryHandle Pin(int elementIndex = 0) => new(_pointer + elementIndex);

    public override void Unpin() { }

    protected override void Dispose(bool disposing) { }
}
