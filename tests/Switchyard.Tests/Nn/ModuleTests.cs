using Switchyard.Nn;
using Switchyard.Tensors;

namespace Switchyard.Tests.Nn;

public class ModuleTests
{
    sealed class Leaf : Module
    {
        public Leaf(int n, bool bias = false)
        {
            Weight = AddParameter(new Parameter("weight", new Shape(n, n)));
            if (bias) AddParameter(new Parameter("bias", new Shape(n)));
        }
        public Parameter Weight { get; }
    }

    sealed class Block : Module
    {
        public Block()
        {
            AddModule("q_proj", new Leaf(2, bias: true));
            AddModule("k_proj", new Leaf(2));
        }
    }

    sealed class Model : Module
    {
        public Model(int layers, bool tie = false)
        {
            var inner = AddModule("model", new Inner(layers));
            var head = AddModule("lm_head", new Leaf(2));
            if (tie) Tied = inner.Embed.Weight;
            _ = head;
        }
        public Parameter? Tied { get; }
    }

    sealed class Inner : Module
    {
        public Inner(int layers)
        {
            Embed = AddModule("embed_tokens", new Leaf(2));
            var list = AddModule("layers", new ModuleList<Block>());
            for (int i = 0; i < layers; i++) list.Add(new Block());
            AddModule("norm", new Leaf(2));
        }
        public Leaf Embed { get; }
    }

    sealed class Shared : Module
    {
        public Shared()
        {
            var a = AddModule("embed_tokens", new Leaf(2));
            AddModule("lm_head", new SharedHead(a.Weight));
        }
    }

    sealed class SharedHead : Module
    {
        public SharedHead(Parameter w) => AddParameter(w);
    }

    [Fact]
    public void NamedParameters_NestedModules_FollowHuggingFaceNamesInRegistrationOrder()
    {
        var names = new Model(2).NamedParameters().Select(x => x.Name).ToArray();
        Assert.Equal(
        [
            "model.embed_tokens.weight",
            "model.layers.0.q_proj.weight", "model.layers.0.q_proj.bias", "model.layers.0.k_proj.weight",
            "model.layers.1.q_proj.weight", "model.layers.1.q_proj.bias", "model.layers.1.k_proj.weight",
            "model.norm.weight",
            "lm_head.weight",
        ], names);
    }

    [Fact]
    public void NamedParameters_SharedParameter_ListedOnceUnderFirstName()
    {
        var named = new Shared().NamedParameters();
        Assert.Single(named);
        Assert.Equal("embed_tokens.weight", named[0].Name);
    }

    [Fact]
    public void NamedModules_Nested_GivesDottedPaths()
    {
        var paths = new Model(1).NamedModules().Select(x => x.Name).ToArray();
        Assert.Equal(["", "model", "model.embed_tokens", "model.layers", "model.layers.0", "model.layers.0.q_proj",
            "model.layers.0.k_proj", "model.norm", "lm_head"], paths);
    }

    [Fact]
    public void ParameterCount_Model_SumsElements()
    {
        // embed 4 + 2 layers × (4 + 2 + 4) + norm 4 + head 4
        Assert.Equal(32, new Model(2).ParameterCount());
    }

    [Fact]
    public void AddParameter_DuplicateName_Throws()
    {
        Assert.Throws<ArgumentException>(() => new Dup());
    }

    sealed class Dup : Module
    {
        public Dup()
        {
            AddParameter(new Parameter("weight", new Shape(1)));
            AddParameter(new Parameter("weight", new Shape(1)));
        }
    }

    [Fact]
    public void Parameter_NameWithDot_Throws()
    {
        Assert.Throws<ArgumentException>(() => new Parameter("a.b", new Shape(1)));
    }

    [Fact]
    public void ZeroGrad_AfterAccumulation_ClearsEveryGradient()
    {
        var m = new Model(1);
        foreach (var p in m.Parameters()) p.Grad.Span.Fill(2f);
        m.ZeroGrad();
        foreach (var p in m.Parameters()) Assert.All(p.Grad.ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Grad_NeverUsed_IsNotAllocated()
    {
        var p = new Parameter("weight", new Shape(3));
        Assert.False(p.HasGrad);
        p.ZeroGrad();
        Assert.False(p.HasGrad);
        Assert.Equal(p.Shape, p.Grad.Shape);
        Assert.True(p.HasGrad);
    }
}
