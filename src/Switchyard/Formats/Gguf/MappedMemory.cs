using System.Buffers;

namespace Switchyard.Formats.Gguf;

/// <summary>A <see cref="Memory{T}"/> over bytes of a memory map, so callers can keep a slice of a tensor without copying it.</summary>
/// <remarks>Valid while the owning file is open; the owner, not this manager, unmaps.</remarks>
internal sealed unsafe class MappedMemory(byte* pointer, int length) : MemoryManager<byte>
{
    public override Span<byte> GetSpan() => new(pointer, length);

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(elementIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(elementIndex, length);
        return new MemoryHandle(pointer + elementIndex);
    }

    public override void Unpin() { }

    protected override void Dispose(bool disposing) { }
}
