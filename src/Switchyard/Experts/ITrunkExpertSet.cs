using Switchyard.Autograd;

namespace Switchyard.Experts;

/// <summary>
/// An expert set whose experts transform a feature computed once per token by a shared trunk,
/// not the token's input row (MoFME's feature-modulated experts, shared/specs/token-routers.md §12).
/// <see cref="MoeLayer"/> still routes on the input x, but dispatches rows of h = <see cref="Trunk"/>(x)
/// to <see cref="IExpertSet.Forward"/>, and counts the trunk once per token in its FLOPs and active parameters.
/// </summary>
public interface ITrunkExpertSet : IExpertSet
{
    /// <summary>h = trunk(x) for the token rows <paramref name="x"/> [N, d]; returns [N, d].</summary>
    Var Trunk(Tape tape, Var x);

    /// <summary>Forward FLOPs of the trunk per token (multiply-add = 2).</summary>
    long TrunkFlopsPerToken { get; }

    /// <summary>Parameters of the trunk (every token uses all of them).</summary>
    long TrunkParameters { get; }
}
