using Switchyard.Autograd;

namespace Switchyard.Models;

/// <summary>One auxiliary loss reported by a layer in the current step.</summary>
/// <param name="Name">The balancer's name, e.g. <c>load_balance</c> or <c>z_loss</c>.</param>
/// <param name="Layer">The decoder layer that reported it.</param>
/// <param name="Loss">The loss before the coefficient: a one-element Var on the step's tape.</param>
/// <param name="Coefficient">Its weight in the training loss.</param>
public readonly record struct AuxiliaryLoss(string Name, int Layer, Var Loss, float Coefficient)
{
    /// <summary>The loss value before the coefficient (readable until the tape is reset).</summary>
    public float Value => Loss.Value[0];
}
