using Switchyard.Tensors;

namespace Switchyard.Autograd;

/// <summary>
/// One recorded op application: the op, its inputs and outputs, the tensors it saved for
/// backward and a few scalars. Pooled by the <see cref="Tape"/> and reused after
/// <see cref="Tape.Reset"/>; fill it right after <see cref="Tape.Record"/> and keep no reference.
/// </summary>
public sealed class TapeNode
{
    readonly Tape _tape;
    internal int InStart, OutStart, SavedStart;

    internal TapeNode(Tape tape) { _tape = tape; Op = null!; }

    /// <summary>The op whose backward runs for this node.</summary>
    public TapeOp Op { get; private set; }

    /// <summary>Number of inputs.</summary>
    public int InputCount { get; private set; }

    /// <summary>Number of outputs.</summary>
    public int OutputCount { get; private set; }

    /// <summary>Number of saved tensors.</summary>
    public int SavedCount { get; private set; }

    /// <summary>Input <paramref name="i"/>, in the order given to <see cref="Tape.Record"/>.</summary>
    public Var Input(int i)
    {
        if ((uint)i >= (uint)InputCount) throw new ArgumentOutOfRangeException(nameof(i), i, $"{Op.Name} has {InputCount} inputs");
        return _tape.VarSlot(InStart + i);
    }

    /// <summary>Output <paramref name="i"/>, in the order given to <see cref="Tape.Record"/>.</summary>
    public Var Output(int i)
    {
        if ((uint)i >= (uint)OutputCount) throw new ArgumentOutOfRangeException(nameof(i), i, $"{Op.Name} has {OutputCount} outputs");
        return _tape.VarSlot(OutStart + i);
    }

    /// <summary>Saved tensor <paramref name="i"/>, in the order of <see cref="Save"/> calls.</summary>
    public Tensor Saved(int i)
    {
        if ((uint)i >= (uint)SavedCount) throw new ArgumentOutOfRangeException(nameof(i), i, $"{Op.Name} saved {SavedCount} tensors");
        return _tape.SavedSlot(SavedStart + i);
    }

    /// <summary>
    /// Keeps <paramref name="tensor"/> for backward (e.g. softmax probabilities, a norm's inverse
    /// RMS). Only valid on the node most recently recorded. Tensors from <see cref="Tape.Allocate"/>
    /// live until <see cref="Tape.Reset"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">This is not the most recently recorded node.</exception>
    public TapeNode Save(Tensor tensor)
    {
        _tape.SaveForLatest(this, tensor);
        SavedCount++;
        return this;
    }

    /// <summary>Integer argument 0 (meaning is the op's).</summary>
    public int Int0 { get; set; }
    /// <summary>Integer argument 1.</summary>
    public int Int1 { get; set; }
    /// <summary>Integer argument 2.</summary>
    public int Int2 { get; set; }
    /// <summary>Integer argument 3.</summary>
    public int Int3 { get; set; }
    /// <summary>Integer argument 4.</summary>
    public int Int4 { get; set; }
    /// <summary>Float argument 0.</summary>
    public float Float0 { get; set; }
    /// <summary>Float argument 1.</summary>
    public float Float1 { get; set; }
    /// <summary>Integer data for backward (targets, positions, routing indices), typically from <see cref="Tape.CopyInts"/>.</summary>
    public ReadOnlyMemory<int> Ints { get; set; }
    /// <summary>Second integer buffer (e.g. routing offsets next to indices).</summary>
    public ReadOnlyMemory<int> Ints2 { get; set; }
    /// <summary>An op-specific reusable object (e.g. a layer's plan) the backward needs; keep it allocated across steps.</summary>
    public object? State { get; set; }

    internal void Init(TapeOp op, int inStart, int inCount, int outStart, int outCount, int savedStart)
    {
        Op = op;
        InStart = inStart; InputCount = inCount;
        OutStart = outStart; OutputCount = outCount;
        SavedStart = savedStart; SavedCount = 0;
        Int0 = Int1 = Int2 = Int3 = Int4 = 0;
        Float0 = Float1 = 0f;
        Ints = Ints2 = default;
        State = null;
    }
}
