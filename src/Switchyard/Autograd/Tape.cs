using Switchyard.Tensors;

namespace Switchyard.Autograd;

/// <summary>
/// Tape-based reverse-mode autograd. Ops (methods on the tape) compute their value with a
/// forward kernel and, while <see cref="Recording"/> and some input needs a gradient, append a
/// <see cref="TapeNode"/>; <see cref="Backward"/> walks the nodes in exact reverse order calling
/// each op's backward kernel. Activations and gradients come from the tape's
/// <see cref="Arena"/>; Vars and nodes are pooled. A step is: record ops, <see cref="Backward"/>,
/// read/apply gradients, <see cref="Reset"/>. From the second step of the same shapes on, a step
/// allocates no managed memory.
/// </summary>
/// <remarks>
/// Trainable parameters enter through <see cref="Leaf"/>: their gradient is accumulated into a
/// tensor the caller owns (e.g. an Nn parameter's Grad), so it outlives the step's arena.
/// A tape is not thread-safe; kernels it calls may use <see cref="ParallelRunner"/>.
/// </remarks>
public sealed partial class Tape
{
    readonly List<Var> _vars = [];
    readonly List<TapeNode> _nodes = [];
    readonly List<int[]> _intSlabs = [];
    Var[] _slots = new Var[256];
    Tensor[] _saved = new Tensor[64];
    int _varCount, _nodeCount, _slotCount, _savedCount, _intSlab, _intUsed;
    bool _backwardDone;

    /// <summary>A rank-0 shape (one element): the shape of losses and full reductions.</summary>
    public static readonly Shape Scalar = new(ReadOnlySpan<int>.Empty);

    /// <summary>Creates a tape with its own arena whose first slab holds at least <paramref name="minSlabFloats"/> floats.</summary>
    public Tape(int minSlabFloats = 1 << 20) => Arena = new TensorArena(minSlabFloats);

    /// <summary>The per-step storage for activations, gradients and saved tensors; reset by <see cref="Reset"/>.</summary>
    public TensorArena Arena { get; }

    /// <summary>
    /// Whether ops record nodes for backward (default true). When false (inference), ops only
    /// compute values: no node, no saved tensor, and every result is a constant.
    /// </summary>
    public bool Recording { get; set; } = true;

    /// <summary>Number of nodes recorded since the last reset.</summary>
    public int NodeCount => _nodeCount;

    internal int Generation { get; private set; } = 1;

    /// <summary>Turns recording off until the returned scope is disposed: <c>using (tape.NoGrad()) { ... }</c>.</summary>
    public NoGradScope NoGrad() => new(this);

    /// <summary>A value that receives no gradient (inputs, targets, frozen weights). The tensor is used as is, not copied.</summary>
    public Var Constant(Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return NewVarOver(value, requiresGrad: false, isLeaf: false, grad: null);
    }

    /// <summary>
    /// A trainable value whose gradient <see cref="Backward"/> ADDS into <paramref name="grad"/>,
    /// a tensor the caller owns (zero it before the step, or let gradients accumulate across
    /// micro-batches). With recording off, the leaf is a constant.
    /// </summary>
    /// <exception cref="ShapeMismatchException">The gradient's shape differs from the value's.</exception>
    public Var Leaf(Tensor value, Tensor grad)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(grad);
        ShapeMismatchException.ThrowIf(value.Shape != grad.Shape, "Leaf gradient", value.Shape, grad.Shape);
        return Recording ? NewVarOver(value, true, true, grad) : NewVarOver(value, false, false, null);
    }

    /// <summary>
    /// A value that needs a gradient kept by the tape (readable through <see cref="Var.Grad"/>
    /// after <see cref="Backward"/>, until <see cref="Reset"/>): e.g. an input whose saliency
    /// is wanted. With recording off, a constant.
    /// </summary>
    public Var Variable(Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return NewVarOver(value, Recording, isLeaf: false, grad: null);
    }

    /// <summary>
    /// A new result Var with arena storage, for ops (built-in or custom) to fill. Pass
    /// <c>requiresGrad: NeedsGrad(inputs...)</c>. Storage is zeroed only when <paramref name="zero"/>.
    /// </summary>
    public Var NewVar(Shape shape, bool requiresGrad, bool zero = false) =>
        NewVarOver(Arena.Allocate(shape, zero), requiresGrad && Recording, isLeaf: false, grad: null);

    /// <summary>A result Var over an existing tensor (e.g. a view of an input's value).</summary>
    public Var NewVar(Tensor value, bool requiresGrad)
    {
        ArgumentNullException.ThrowIfNull(value);
        return NewVarOver(value, requiresGrad && Recording, isLeaf: false, grad: null);
    }

    /// <summary>Whether an op on <paramref name="inputs"/> must record: recording is on and some input requires a gradient. Null entries (absent optional inputs) are ignored.</summary>
    /// <exception cref="ArgumentException">An input belongs to another tape.</exception>
    /// <exception cref="InvalidOperationException">An input is from a step already reset.</exception>
    public bool NeedsGrad(params ReadOnlySpan<Var?> inputs)
    {
        bool any = false;
        foreach (Var? v in inputs)
        {
            if (v is null) continue;
            CheckOwn(v);
            any |= v.RequiresGrad;
        }
        return any && Recording;
    }

    /// <summary>
    /// Appends a node: <paramref name="op"/>'s backward will run with these inputs and outputs
    /// (in this order) during <see cref="Backward"/>. Fill saved tensors and scalars on the
    /// returned node right away. Call only when recording and an input needs a gradient
    /// (<see cref="NeedsGrad"/>), after computing the outputs.
    /// </summary>
    /// <exception cref="InvalidOperationException">Recording is off.</exception>
    public TapeNode Record(TapeOp op, ReadOnlySpan<Var> inputs, ReadOnlySpan<Var> outputs)
    {
        ArgumentNullException.ThrowIfNull(op);
        if (!Recording) throw new InvalidOperationException($"{op.Name}: cannot record while recording is off (check Tape.NeedsGrad first)");
        if (_slotCount + inputs.Length + outputs.Length > _slots.Length)
            Array.Resize(ref _slots, Math.Max(_slots.Length * 2, _slotCount + inputs.Length + outputs.Length));
        int inStart = _slotCount;
        foreach (Var v in inputs) { CheckOwn(v); _slots[_slotCount++] = v; }
        int outStart = _slotCount;
        foreach (Var v in outputs) { CheckOwn(v); _slots[_slotCount++] = v; }
        TapeNode node;
        if (_nodeCount < _nodes.Count) node = _nodes[_nodeCount];
        else { node = new TapeNode(this); _nodes.Add(node); }
        _nodeCount++;
        node.Init(op, inStart, inputs.Length, outStart, outputs.Length, _savedCount);
        return node;
    }

    /// <summary>
    /// Node <paramref name="index"/> of this step, in recording order (0 ≤ index &lt; <see cref="NodeCount"/>):
    /// lets diagnostics walk the forward pass, e.g. to name the first op whose output is not finite.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">No such node in this step.</exception>
    public TapeNode Node(int index)
    {
        if ((uint)index >= (uint)_nodeCount) throw new ArgumentOutOfRangeException(nameof(index), index, $"the step has {_nodeCount} nodes");
        return _nodes[index];
    }

    /// <summary>A tensor from the step arena (zeroed unless <paramref name="zero"/> is false), valid until <see cref="Reset"/>: workspace and saved state for ops.</summary>
    public Tensor Allocate(Shape shape, bool zero = true) => Arena.Allocate(shape, zero);

    /// <summary>Integer storage valid until <see cref="Reset"/> (e.g. indices an op keeps for backward); zeroed unless <paramref name="zero"/> is false.</summary>
    public Memory<int> AllocateInts(int length, bool zero = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        int need = (length + 15) & ~15;
        while (_intSlab < _intSlabs.Count && _intUsed + need > _intSlabs[_intSlab].Length) { _intSlab++; _intUsed = 0; }
        if (_intSlab == _intSlabs.Count)
        {
            int last = _intSlabs.Count == 0 ? 0 : _intSlabs[^1].Length;
            _intSlabs.Add(new int[Math.Max(Math.Max(4096, need), (int)Math.Min(Array.MaxLength, 2L * last))]);
            _intUsed = 0;
        }
        var memory = new Memory<int>(_intSlabs[_intSlab], _intUsed, length);
        _intUsed += need;
        if (zero) memory.Span.Clear();
        return memory;
    }

    /// <summary>A copy of <paramref name="values"/> in step storage: lets an op keep caller spans (targets, positions) for backward.</summary>
    public ReadOnlyMemory<int> CopyInts(ReadOnlySpan<int> values)
    {
        Memory<int> m = AllocateInts(values.Length, zero: false);
        values.CopyTo(m.Span);
        return m;
    }

    /// <summary>
    /// Back-propagates from <paramref name="loss"/>: seeds dLoss = 1 and runs the backward of every
    /// node that received a gradient, in exact reverse recording order. Leaf gradients are added
    /// into their caller-owned tensors. Once per step.
    /// </summary>
    /// <exception cref="ShapeMismatchException">The loss has more than one element.</exception>
    /// <exception cref="InvalidOperationException">Backward already ran this step, or the loss needs no gradient.</exception>
    public void Backward(Var loss)
    {
        ArgumentNullException.ThrowIfNull(loss);
        CheckOwn(loss);
        if (loss.Shape.Size != 1) throw new ShapeMismatchException("Backward", "a scalar loss (one element)", loss.Shape.ToString());
        if (_backwardDone) throw new InvalidOperationException("Backward already ran in this step; call Reset before recording the next");
        if (!loss.RequiresGrad) throw new InvalidOperationException("the loss does not depend on any leaf or variable that requires a gradient (or was computed with recording off)");
        _backwardDone = true;
        loss.Grad.Span[0] += 1f;
        for (int i = _nodeCount - 1; i >= 0; i--)
        {
            TapeNode node = _nodes[i];
            bool reached = false;
            for (int o = 0; o < node.OutputCount && !reached; o++) reached = _slots[node.OutStart + o].HasGrad;
            // A node none of whose outputs reached the loss contributes nothing: skip its kernels.
            if (reached) node.Op.Backward(this, node);
        }
    }

    /// <summary>Ends the step: releases every Var, node and arena tensor for reuse. Vars of the ended step must not be used again.</summary>
    public void Reset()
    {
        Arena.Reset();
        _varCount = _nodeCount = _slotCount = _savedCount = 0;
        _intSlab = _intUsed = 0;
        _backwardDone = false;
        Generation++;
    }

    internal Var VarSlot(int i) => _slots[i];

    internal Tensor SavedSlot(int i) => _saved[i];

    internal void SaveForLatest(TapeNode node, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (_nodeCount == 0 || !ReferenceEquals(_nodes[_nodeCount - 1], node))
            throw new InvalidOperationException("Save is only valid on the most recently recorded node");
        if (_savedCount == _saved.Length) Array.Resize(ref _saved, _saved.Length * 2);
        _saved[_savedCount++] = tensor;
    }

    Var NewVarOver(Tensor value, bool requiresGrad, bool isLeaf, Tensor? grad)
    {
        Var v;
        if (_varCount < _vars.Count) v = _vars[_varCount];
        else { v = new Var(this); _vars.Add(v); }
        _varCount++;
        v.Init(value, requiresGrad, isLeaf, grad, Generation);
        return v;
    }

    void CheckOwn(Var v)
    {
        ArgumentNullException.ThrowIfNull(v);
        if (!ReferenceEquals(v.Tape, this)) throw new ArgumentException("the Var belongs to another tape", nameof(v));
        if (v.Generation != Generation) throw new InvalidOperationException("the Var belongs to a step that ended with Tape.Reset; Vars cannot be used across steps");
    }
}
