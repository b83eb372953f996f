using Switchyard.Tensors;

namespace Switchyard.Nn.Optim;

/// <summary>
/// Stochastic gradient descent as PyTorch's <c>torch.optim.SGD</c>: d = g + wd·p (coupled
/// L2 decay); with momentum μ, buf = d on the first step and μ·buf + (1−dampening)·d after,
/// then d = buf, or d + μ·buf with Nesterov; p ← p − lr·d.
/// </summary>
/// <remarks>Only parameters trainable at construction are managed. Weight decay skips parameters whose <see cref="Parameter.WeightDecay"/> is false.</remarks>
public sealed class Sgd : IOptimizer
{
    const string Kind = "sgd";
    readonly string[] _names;
    readonly Parameter[] _params;
    readonly float[][] _buf;
    readonly SimdWidth _width;
    readonly ElementwiseUpdateJob _job;
    bool _firstStep;

    /// <summary>Creates the optimizer over the trainable parameters of <paramref name="parameters"/>.</summary>
    /// <param name="parameters">Named parameters, e.g. <see cref="Module.NamedParameters"/>.</param>
    /// <param name="learningRate">Initial learning rate.</param>
    /// <param name="momentum">Momentum μ (0 = plain SGD).</param>
    /// <param name="dampening">Dampening of the gradient in the momentum buffer.</param>
    /// <param name="nesterov">Nesterov momentum (requires μ &gt; 0 and no dampening, as in PyTorch).</param>
    /// <param name="weightDecay">L2 penalty added to the gradient.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is out of range.</exception>
    /// <exception cref="ArgumentException">Nesterov without momentum, or with dampening.</exception>
    public Sgd(IEnumerable<(string Name, Parameter Parameter)> parameters, float learningRate = 1e-2f,
        float momentum = 0f, float dampening = 0f, bool nesterov = false, float weightDecay = 0f)
        : this(parameters, learningRate, momentum, dampening, nesterov, weightDecay, Simd.Best) { }

    internal Sgd(IEnumerable<(string Name, Parameter Parameter)> parameters, float learningRate,
        float momentum, float dampening, bool nesterov, float weightDecay, SimdWidth width)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(learningRate >= 0)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "must be ≥ 0");
        if (!(momentum >= 0)) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "must be ≥ 0");
        if (!(weightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "must be ≥ 0");
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException("Nesterov momentum requires momentum > 0 and zero dampening", nameof(nesterov));
        var names = new List<string>();
        var ps = new List<Parameter>();
        var seen = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        foreach (var (name, p) in parameters)
        {
            if (!p.Trainable || !seen.Add(p)) continue;
            names.Add(name);
            ps.Add(p);
        }
        _names = [.. names];
        _params = [.. ps];
        _buf = new float[_params.Length][];
        for (int i = 0; i < _params.Length; i++)
        {
            _buf[i] = momentum != 0 ? new float[_params[i].Value.Length] : [];
            _ = _params[i].Grad; // allocate now: parts of a parallel step must not race to create it
        }
        LearningRate = learningRate;
        Momentum = momentum;
        Dampening = dampening;
        Nesterov = nesterov;
        WeightDecay = weightDecay;
        _width = width;
        _job = new ElementwiseUpdateJob(_params.Select(p => p.Value.Length).ToArray(), Update);
    }

    /// <inheritdoc/>
    public float LearningRate { get; set; }

    /// <summary>Momentum μ.</summary>
    public float Momentum { get; }

    /// <summary>Dampening.</summary>
    public float Dampening { get; }

    /// <summary>Whether Nesterov momentum is used.</summary>
    public bool Nesterov { get; }

    /// <summary>L2 weight decay.</summary>
    public float WeightDecay { get; }

    /// <inheritdoc/>
    public long StepCount { get; private set; }

    /// <inheritdoc/>
    public void Step()
    {
        _firstStep = StepCount == 0;
        StepCount++;
        _job.Run();
    }

    void Update(int i, int start, int length)
    {
        var p = _params[i];
        if (!p.Trainable) return;
        OptimizerKernels.Sgd(p.Value.Span.Slice(start, length), p.Grad.Span.Slice(start, length),
            Momentum != 0 ? _buf[i].AsSpan(start, length) : default, LearningRate, p.WeightDecay ? WeightDecay : 0f,
            Momentum, Dampening, Nesterov, _firstStep, _width);
    }

    /// <inheritdoc/>
    public void ZeroGrad()
    {
        foreach (var p in _params) p.ZeroGrad();
    }

    /// <inheritdoc/>
    public OptimizerState ExportState()
    {
        var buffers = new Dictionary<string, float[]>(StringComparer.Ordinal);
        if (Momentum != 0)
            for (int i = 0; i < _params.Length; i++) buffers[_names[i] + ".momentum_buffer"] = (float[])_buf[i].Clone();
        return new OptimizerState(Kind, StepCount, buffers);
    }

    /// <inheritdoc/>
    public void ImportState(OptimizerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.CheckKind(Kind);
        int expected = Momentum != 0 ? _params.Length : 0;
        if (Momentum != 0)
            for (int i = 0; i < _params.Length; i++) state.Get(_names[i] + ".momentum_buffer", _buf[i].Length);
        state.CheckNoExtra(expected, Momentum != 0 ? _names.Select(n => n + ".momentum_buffer") : []);
        if (Momentum != 0)
            for (int i = 0; i < _params.Length; i++) state.Get(_names[i] + ".momentum_buffer", _buf[i].Length).CopyTo(_buf[i], 0);
        StepCount = state.Step;
    }
}
