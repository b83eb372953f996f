namespace Switchyard.Autograd;

/// <summary>
/// The backward half of a differentiable op. Built-in ops and higher layers (experts, routing)
/// derive from it; an instance holds no per-call state, so one instance (a singleton, or one
/// kept by a layer) is recorded again and again without allocating. Per-call data lives in the
/// <see cref="TapeNode"/> recorded with it: inputs, outputs, saved tensors, a few scalars, an
/// index buffer and an optional reusable state object.
/// </summary>
/// <example>
/// <code>
/// sealed class SquareOp : TapeOp
/// {
///     public static readonly SquareOp Instance = new();
///     public override void Backward(Tape tape, TapeNode node)
///     {
///         Var x = node.Input(0), y = node.Output(0);
///         if (!x.RequiresGrad) return;
///         var dx = x.Grad.Span; var dy = y.Grad.Span; var v = x.Value.Span;
///         for (int i = 0; i &lt; dx.Length; i++) dx[i] += 2 * v[i] * dy[i];
///     }
/// }
/// // forward, in a layer:
/// Var y = tape.NewVar(x.Shape, tape.NeedsGrad(x));
/// /* compute y.Value from x.Value */
/// if (y.RequiresGrad) tape.Record(SquareOp.Instance, [x], [y]);
/// </code>
/// </example>
public abstract class TapeOp
{
    /// <summary>
    /// Accumulates gradients into the inputs of <paramref name="node"/> that <see cref="Var.RequiresGrad"/>,
    /// from the outputs' <see cref="Var.Grad"/>. Called by <see cref="Tape.Backward"/> in exact reverse
    /// recording order, and only when at least one output received a gradient; an output with
    /// <see cref="Var.HasGrad"/> false contributed nothing and may be skipped.
    /// Must add (<c>+=</c>), never overwrite: an input may feed several ops.
    /// </summary>
    public abstract void Backward(Tape tape, TapeNode node);

    /// <summary>Name used in error messages and debugging; the type name by default.</summary>
    public virtual string Name => GetType().Name;
}
