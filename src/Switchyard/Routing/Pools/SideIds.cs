namespace Switchyard.Routing.Pools;

// Reads one item's side id under a SideIdSource; -1 when the context has none for it.
internal static class SideIds
{
    public static int Read(ReadOnlyMemory<int> ids, int item, int sequenceLength, SideIdSource source)
    {
        if ((uint)item >= (uint)ids.Length) return -1;
        // The input token of position t is the target of position t−1 of the same sequence; position 0 keeps its own.
        if (source == SideIdSource.Input && item % (sequenceLength > 0 ? sequenceLength : ids.Length) != 0) item--;
        return ids.Span[item];
    }
}
