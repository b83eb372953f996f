using Switchyard.Autograd;
using Switchyard.Tensors;

namespace Switchyard.Tests.Autograd;

public class TapeTests
{
    static Tensor T(params float[] v) => new(v, new Shape(v.Length));

    [Fact]
    public void Backward_NonScalarLoss_ThrowsNamingShape()
    {
        var tape = new Tape(4096);
        Var x = tape.Variable(T(1, 2, 3));
        var e = Assert.Throws<ShapeMismatchException>(() => tape.Backward(tape.Scale(x, 2f)));
        Assert.Contains("[3]", e.Message);
    }

    [Fact]
    public void Add_MismatchedShapes_ThrowsNamingBothShapes()
    {
        var tape = new Tape(4096);
        Var a = tape.Constant(new Tensor(new Shape(2, 3))), b = tape.Constant(new Tensor(new Shape(3, 2)));
        var e = Assert.Throws<ShapeMismatchException>(() => tape.Add(a, b));
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[3, 2]", e.Message);
        Assert.Throws<ShapeMismatchException>(() => tape.Mul(a, b));
        Assert.Throws<ShapeMismatchException>(() => tape.Concat(a, tape.Constant(new Tensor(new Shape(3, 3)))));
    }

    [Fact]
    public void Leaf_GradientShapeDiffers_Throws()
    {
        var tape = new Tape(4096);
        Assert.Throws<ShapeMismatchException>(() => tape.Leaf(new Tensor(new Shape(2, 3)), new Tensor(new Shape(6))));
    }

    [Fact]
    public void Ops_OnConstantsOnly_RecordNothingAndHaveNoGradient()
    {
        var tape = new Tape(4096);
        Var y = tape.Sigmoid(tape.Add(tape.Constant(T(1, 2)), tape.Constant(T(3, 4))));
        Assert.Equal(0, tape.NodeCount);
        Assert.False(y.RequiresGrad);
        Assert.Throws<InvalidOperationException>(() => y.Grad);
    }

    [Fact]
    public void Backward_ConstantOperand_GetsNoGradientWhileLeafDoes()
    {
        var tape = new Tape(4096);
        var g = new Tensor(new Shape(2));
        Var c = tape.Constant(T(3, 4));
        Var w = tape.Leaf(T(1, 2), g);
        tape.Backward(tape.Sum(tape.Mul(c, w)));
        Assert.Equal([3f, 4f], g.ToArray());
        Assert.False(c.HasGrad);
    }

    [Fact]
    public void Leaf_GradientTensor_IsAddedToNotOverwritten()
    {
        var tape = new Tape(4096);
        var g = new Tensor(T(10, 20).ToArray(), new Shape(2));
        tape.Backward(tape.Sum(tape.Scale(tape.Leaf(T(1, 2), g), 3f)));
        Assert.Equal([13f, 23f], g.ToArray());
    }

    [Fact]
    public void Var_UsedByTwoOps_AccumulatesBothGradients()
    {
        var tape = new Tape(4096);
        Var x = tape.Variable(T(1, 2, 3));
        // loss = Σ (2x + x∘x): dloss/dx = 2 + 2x
        tape.Backward(tape.Sum(tape.Add(tape.Scale(x, 2f), tape.Mul(x, x))));
        Assert.Equal([4f, 6f, 8f], x.Grad.ToArray());
    }

    [Fact]
    public void NoGrad_Scope_RecordsNothingAndRestores()
    {
        var tape = new Tape(4096);
        var g = new Tensor(new Shape(2));
        using (tape.NoGrad())
        {
            Var w = tape.Leaf(T(1, 2), g);
            Var y = tape.Tanh(tape.Scale(w, 2f));
            Assert.False(y.RequiresGrad);
            Assert.Equal(MathF.Tanh(2f), y.Value[0], 1e-6f);
        }
        Assert.Equal(0, tape.NodeCount);
        Assert.True(tape.Recording);
        tape.Recording = false;
        Assert.False(tape.Sigmoid(tape.Variable(T(1))).RequiresGrad);
    }

    [Fact]
    public void Backward_CalledTwiceInAStep_Throws()
    {
        var tape = new Tape(4096);
        Var loss = tape.Sum(tape.Variable(T(1, 2)));
        tape.Backward(loss);
        Assert.Throws<InvalidOperationException>(() => tape.Backward(loss));
    }

    [Fact]
    public void Backward_LossWithoutGradient_Throws()
    {
        var tape = new Tape(4096);
        Assert.Throws<InvalidOperationException>(() => tape.Backward(tape.Sum(tape.Constant(T(1, 2)))));
    }

    [Fact]
    public void Var_AfterReset_ThrowsWhenUsed()
    {
        var tape = new Tape(4096);
        Var x = tape.Variable(T(1, 2));
        tape.Reset();
        Assert.Throws<InvalidOperationException>(() => x.Value);
        Assert.Throws<InvalidOperationException>(() => tape.Sigmoid(x));
    }

    [Fact]
    public void Op_VarFromAnotherTape_Throws()
    {
        var a = new Tape(4096);
        var b = new Tape(4096);
        Assert.Throws<ArgumentException>(() => a.Sigmoid(b.Variable(T(1))));
    }

    [Fact]
    public void Backward_RunsNodesInExactReverseRecordingOrder()
    {
        var tape = new Tape(4096);
        var log = new List<int>();
        Var x = tape.Variable(T(1, 2));
        Var a = Tag(tape, x, 1, log);
        Var b = Tag(tape, x, 2, log);
        Var c = Tag(tape, tape.Add(a, b), 3, log);
        tape.Backward(tape.Sum(c));
        Assert.Equal([3, 2, 1], log);
    }

    [Fact]
    public void CustomOp_RecordedWithSavedTensorAndScalars_ReceivesGradient()
    {
        // Given a layer-defined op y = k·x² that saves 2x and keeps k as a scalar
        var tape = new Tape(4096);
        Var x = tape.Variable(T(1, -2, 3));
        Var y = SquareOp.Apply(tape, x, 0.5f);
        // When
        tape.Backward(tape.Sum(y));
        // Then dy/dx = k·2x = x
        Assert.Equal([0.5f, 2f, 4.5f], y.Value.ToArray());
        Assert.Equal([1f, -2f, 3f], x.Grad.ToArray());
    }

    [Fact]
    public void Split_OnlyUsedPartReceivesGradient_OthersStayZero()
    {
        var tape = new Tape(4096);
        Var x = tape.Variable(new Tensor([1, 2, 3, 4], new Shape(1, 4)));
        var parts = new Var[2];
        tape.Split(x, parts);
        tape.Backward(tape.Sum(tape.Scale(parts[1], 5f)));
        Assert.Equal([0f, 0f, 5f, 5f], x.Grad.ToArray());
        Assert.False(parts[0].HasGrad);
    }

    static Var Tag(Tape tape, Var x, int id, List<int> log)
    {
        Var y = tape.NewVar(x.Shape, tape.NeedsGrad(x));
        x.Value.Span.CopyTo(y.Value.Span);
        TapeNode node = tape.Record(TagOp.Instance, [x], [y]);
        node.Int0 = id;
        node.State = log;
        return y;
    }

    sealed class TagOp : TapeOp
    {
        public static readonly TagOp Instance = new();

        public override void Backward(Tape tape, TapeNode node)
        {
            ((List<int>)node.State!).Add(node.Int0);
            Switchyard.Tensors.Kernels.Elementwise.Accumulate(node.Output(0).Grad.Span, node.Input(0).Grad.Span);
        }
    }

    sealed class SquareOp : TapeOp
    {
        static readonly SquareOp Instance = new();

        public static Var Apply(Tape tape, Var x, float k)
        {
            bool grad = tape.NeedsGrad(x);
            Var y = tape.NewVar(x.Shape, grad);
            Tensor twoX = tape.Allocate(x.Shape, zero: false);
            for (int i = 0; i < x.Shape.Size; i++)
            {
                y.Value[i] = k * x.Value[i] * x.Value[i];
                twoX[i] = 2 * x.Value[i];
            }
            if (grad) tape.Record(Instance, [x], [y]).Save(twoX).Float0 = k;
            return y;
        }

        public override void Backward(Tape tape, TapeNode node)
        {
            Var x = node.Input(0);
            if (!x.RequiresGrad) return;
            Span<float> dx = x.Grad.Span;
            ReadOnlySpan<float> dy = node.Output(0).Grad.Span, twoX = node.Saved(0).Span;
            for (int i = 0; i < dx.Length; i++) dx[i] += node.Float0 * twoX[i] * dy[i];
        }
    }
}
