using Switchyard.Autograd;
using Switchyard.Routing;

namespace Switchyard.Tests.Routing;

/// <summary>A test scorer that returns the Var it is given (a leaf, so gradients can be checked), ignoring x.</summary>
internal sealed class FixedScorer(int experts, GateActivation activation = GateActivation.Softmax) : IScorer
{
    public Var? Next { get; set; }

    public int Experts => experts;

    public GateActivation Activation => activation;

    public Var Score(Tape tape, Var x, RoutingContext context) => Next ?? throw new InvalidOperationException("set Next first");
}
