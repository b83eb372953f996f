using Switchyard.Autograd;
using Switchyard.Routing;
using Switchyard.Tensors;

namespace Switchyard.Inference;

/// <summary>
/// A scorer that hands the router logits the engine already computed from the checkpoint's gate
/// weight (any <see cref="WeightMatrix"/> encoding), so a catalog router's selector runs unchanged
/// on them. Replaces a catalog router's <c>LinearScorer</c>, whose own random weights are unused.
/// </summary>
internal sealed class LogitsScorer(int experts, GateActivation activation) : IScorer
{
    readonly Tensor _logits = new(new Shape(1, experts));

    public int Experts => experts;

    public GateActivation Activation => activation;

    /// <summary>Points the scores at <paramref name="buffer"/>[0 .. rows·E) for the next <see cref="Score"/>.</summary>
    public void Bind(float[] buffer, int rows) => _logits.Rebind(buffer, 0, new Shape(rows, experts));

    public Var Score(Tape tape, Var x, RoutingContext context) => tape.Constant(_logits);
}
