using Switchyard.Autograd;
using Switchyard.Routing;

namespace Switchyard.Experts;

/// <summary>
/// The experts of one MoE layer: computes, for the rows a <see cref="RoutingPlan"/> grouped by
/// expert, each row's output from its own expert. The <see cref="MoeLayer"/> dispatches (gathers
/// token rows into plan order) before and combines (gate-weighted sum per token) after, so an
/// expert set only sees contiguous groups: <c>rows[plan.Offsets[e] .. plan.Offsets[e+1])</c> all
/// go to expert e. SwiGLU FFN experts run one grouped GEMM per projection; later kinds (null,
/// identity, small/big, FiLM, ternary, LoRA) implement the same contract, or are composed by
/// expert-id range.
/// </summary>
/// <remarks>
/// The call is recorded on the tape; gradients flow to the rows (hence to the
/// tokens through dispatch) and into the set's own weights. A set has no per-call state that
/// outlives the tape step, allocates nothing once warm and is deterministic for a thread count.
/// </remarks>
public interface IExpertSet
{
    /// <summary>Number of experts E this set serves (the plan's expert ids are 0..E−1).</summary>
    int Experts { get; }

    /// <summary>Width d of input and output rows.</summary>
    int ModelDim { get; }

    /// <summary>
    /// Outputs for the grouped rows: row j of the result is expert <c>plan.Expert[j]</c> applied to
    /// row j of <paramref name="rows"/> [plan.Count, d]. Returns [plan.Count, d].
    /// </summary>
    Var Forward(Tape tape, Var rows, RoutingPlan plan);

    /// <summary>Forward FLOPs (multiply-add = 2) of one row through expert <paramref name="expert"/>: 0 for a null expert.</summary>
    long FlopsPerRow(int expert);

    /// <summary>Parameters one row through expert <paramref name="expert"/> touches (active parameters per assignment).</summary>
    long ParametersPerRow(int expert);
}
