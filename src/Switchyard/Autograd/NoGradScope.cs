namespace Switchyard.Autograd;

/// <summary>
/// Turns recording off for a <c>using</c> block and restores the previous setting at its end.
/// A struct, so entering and leaving allocates nothing.
/// </summary>
public readonly struct NoGradScope : IDisposable
{
    readonly Tape? _tape;
    readonly bool _previous;

    internal NoGradScope(Tape tape)
    {
        _tape = tape;
        _previous = tape.Recording;
        tape.Recording = false;
    }

    /// <summary>Restores the recording setting that was in force when the scope began.</summary>
    public void Dispose()
    {
        if (_tape is not null) _tape.Recording = _previous;
    }
}
