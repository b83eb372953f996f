using System.Runtime.InteropServices;
using Switchyard.Autograd;

namespace Switchyard.Models;

/// <summary>
/// The auxiliary losses the layers of one forward pass report (load balancing, z-loss, …). The
/// model clears it at the start of each forward and adds Σ coefficient·loss to the training loss.
/// Reused across steps: adding allocates nothing once the list has grown to its steady size.
/// </summary>
public sealed class AuxiliaryLosses
{
    readonly List<AuxiliaryLoss> _items = new(16);

    /// <summary>Number of losses reported in this step.</summary>
    public int Count => _items.Count;

    /// <summary>The losses reported in this step, in report order.</summary>
    public ReadOnlySpan<AuxiliaryLoss> Items => CollectionsMarshal.AsSpan(_items);

    /// <summary>Reports <paramref name="loss"/> (one element, before the coefficient) of layer <paramref name="layer"/>.</summary>
    /// <exception cref="ArgumentException">The loss is not a single value.</exception>
    public void Add(string name, int layer, Var loss, float coefficient)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(loss);
        if (loss.Shape.Size != 1) throw new ArgumentException($"auxiliary loss '{name}' of layer {layer} must be one value, got shape {loss.Shape}", nameof(loss));
        _items.Add(new AuxiliaryLoss(name, layer, loss, coefficient));
    }

    /// <summary>Forgets every reported loss (start of a step).</summary>
    public void Clear() => _items.Clear();

    /// <summary>Σ coefficient·loss on <paramref name="tape"/>, or null when nothing with a non-zero coefficient was reported.</summary>
    public Var? Total(Tape tape)
    {
        ArgumentNullException.ThrowIfNull(tape);
        Var? total = null;
        foreach (var item in Items)
        {
            if (item.Coefficient == 0f) continue;
            Var term = item.Coefficient == 1f ? item.Loss : tape.Scale(item.Loss, item.Coefficient);
            total = total is null ? term : tape.Add(total, term);
        }
        return total;
    }

    /// <summary>Σ coefficient·value of the reported losses, as a number (for logging).</summary>
    public float TotalValue()
    {
        float sum = 0f;
        foreach (var item in Items) sum += item.Coefficient * item.Value;
        return sum;
    }
}
