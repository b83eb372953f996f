using System.Buffers;
using System.Runtime.InteropServices;

namespace Switchyard.Inference;

/// <summary>Views float memory as bytes without copying, so float32 weights and quantized ones share one holder.</summary>
static class FloatBytes
{
    /// <summary>The bytes of <paramref name="values"/>; the view keeps the underlying array alive.</summary>
    /// <exception cref="ArgumentException">The memory is not backed by an array.</exception>
    public static ReadOnlyMemory<byte> AsBytes(ReadOnlyMemory<float> values)
    {
        if (!MemoryMarshal.TryGetArray(values, out ArraySegment<float> segment))
            throw new ArgumentException("float weights must be backed by an array", nameof(values));
        return new Manager(segment).Memory;
    }

    sealed class Manager(ArraySegment<float> segment) : MemoryManager<byte>
    {
        public override Span<byte> GetSpan() => MemoryMarshal.AsBytes(segment.AsSpan());

        public override unsafe MemoryHandle Pin(int elementIndex = 0)
        {
            var handle = GCHandle.Alloc(segment.Array, GCHandleType.Pinned);
            byte* start = (byte*)handle.AddrOfPinnedObject() + segment.Offset * sizeof(float) + elementIndex;
            return new MemoryHandle(start, handle, this);
        }

        public override void Unpin() { }

        protected override void Dispose(bool disposing) { }
    }
}
