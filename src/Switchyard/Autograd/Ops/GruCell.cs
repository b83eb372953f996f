using Switchyard.Tensors;

namespace Switchyard.Autograd;

public sealed partial class Tape
{
    /// <summary>
    /// One GRU step with PyTorch <c>GRUCell</c> equations and layout, composed of tape ops (so it
    /// needs no backward of its own): <paramref name="x"/> [batch, in], <paramref name="h"/>
    /// [batch, hidden], <paramref name="weightIh"/> [3·hidden, in], <paramref name="weightHh"/>
    /// [3·hidden, hidden], biases [3·hidden] (optional), gate blocks in the order r, z, n:
    /// r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz),
    /// n = tanh(W_in x + b_in + r∘(W_hn h + b_hn)), h' = (1 − z)∘n + z∘h.
    /// </summary>
    /// <exception cref="ShapeMismatchException">Shapes do not fit.</exception>
    public Var GruCell(Var x, Var h, Var weightIh, Var weightHh, Var? biasIh = null, Var? biasHh = null)
    {
        int hidden = h.Shape.Last;
        if (weightIh.Shape.Rank != 2 || weightIh.Shape[0] != 3 * hidden)
            throw new ShapeMismatchException("GruCell weight_ih", $"[{3 * hidden}, in]", weightIh.Shape.ToString());
        Var gi = Linear(x, weightIh, biasIh);
        Var gh = Linear(h, weightHh, biasHh);
        Var r = Sigmoid(Add(Slice(gi, 0, hidden), Slice(gh, 0, hidden)));
        Var z = Sigmoid(Add(Slice(gi, hidden, hidden), Slice(gh, hidden, hidden)));
        Var n = Tanh(Add(Slice(gi, 2 * hidden, hidden), Mul(r, Slice(gh, 2 * hidden, hidden))));
        // (1 − z)∘n + z∘h = n + z∘(h − n): the same value without a constant ones tensor.
        return Add(n, Mul(z, Sub(h, n)));
    }
}
