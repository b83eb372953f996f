using Switchyard.Tensors;

namespace Switchyard.Nn.Optim;

/// <summary>
/// Adam with decoupled weight decay (Loshchilov &amp; Hutter 2019), exactly as PyTorch's
/// <c>torch.optim.AdamW</c>: per step t, p ← p·(1 − lr·wd), then m ← β1·m + (1−β1)·g,
/// v ← β2·v + (1−β2)·g², p ← p − (lr / (1−β1ᵗ))·m / (√v / √(1−β2ᵗ) + ε).
/// </summary>
/// <remarks>
/// Only parameters trainable at construction are managed. Weight decay skips parameters
/// whose <see cref="Parameter.WeightDecay"/> is false (norm weights, biases) and those the
/// <c>excludeFromDecay</c> predicate names. Scalars (lr·wd, bias corrections) are computed
/// in double and rounded once, as PyTorch does with Python floats.
/// </remarks>
public sealed class AdamW : IOptimizer
{
    const string Kind = "adamw";
    readonly string[] _names;
    readonly Parameter[] _params;
    readonly bool[] _decay;
    readonly float[][] _m, _v;
    readonly SimdWidth _width;
    readonly ElementwiseUpdateJob _job;
    // This step's scalars, read by the parts of _job.
    float _stepSize, _sqrtBc2, _decayFactor;

    /// <summary>Creates the optimizer over the trainable parameters of <paramref name="parameters"/>.</summary>
    /// <param name="parameters">Named parameters, e.g. <see cref="Module.NamedParameters"/>.</param>
    /// <param name="learningRate">Initial learning rate (a schedule usually overrides it per step).</param>
    /// <param name="beta1">First-moment decay, 0.9 by default.</param>
    /// <param name="beta2">Second-moment decay: 0.999 (PyTorch default) or 0.95 (common for LLMs).</param>
    /// <param name="eps">Added to the denominator, 1e-8 by default.</param>
    /// <param name="weightDecay">Decoupled weight decay coefficient (PyTorch default 0.01).</param>
    /// <param name="excludeFromDecay">Optional predicate on the full name; true exempts a parameter from decay.</param>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is outside its valid range.</exception>
    public AdamW(IEnumerable<(string Name, Parameter Parameter)> parameters, float learningRate = 1e-3f,
        float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-8f, float weightDecay = 0.01f,
        Func<string, bool>? excludeFromDecay = null)
        : this(parameters, learningRate, beta1, beta2, eps, weightDecay, excludeFromDecay, Simd.Best) { }

    internal AdamW(IEnumerable<(string Name, Parameter Parameter)> parameters, float learningRate,
        float beta1, float beta2, float eps, float weightDecay, Func<string, bool>? excludeFromDecay, SimdWidth width)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(learningRate >= 0)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "must be ≥ 0");
        if (!(beta1 is >= 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "must be in [0, 1)");
        if (!(beta2 is >= 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "must be in [0, 1)");
        if (!(eps >= 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "must be ≥ 0");
        if (!(weightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "must be ≥ 0");
        var names = new List<string>();
        var ps = new List<Parameter>();
        var seen = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        foreach (var (name, p) in parameters)
        {
            if (!p.Trainable) continue;
            if (!seen.Add(p)) continue; // tied weights appear twice; update once
            names.Add(name);
            ps.Add(p);
        }
        _names = [.. names];
        _params = [.. ps];
        _decay = new bool[_params.Length];
        _m = new float[_params.Length][];
        _v = new float[_params.Length][];
        for (int i = 0; i < _params.Length; i++)
        {
            _decay[i] = _params[i].WeightDecay && !(excludeFromDecay?.Invoke(_names[i]) ?? false);
            _m[i] = new float[_params[i].Value.Length];
            _v[i] = new float[_params[i].Value.Length];
            _ = _params[i].Grad; // allocate now: parts of a parallel step must not race to create it
        }
        LearningRate = learningRate;
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        WeightDecay = weightDecay;
        _width = width;
        _job = new ElementwiseUpdateJob(_params.Select(p => p.Value.Length).ToArray(), Update);
    }

    /// <inheritdoc/>
    public float LearningRate { get; set; }

    /// <summary>First-moment decay β1.</summary>
    public float Beta1 { get; }

    /// <summary>Second-moment decay β2.</summary>
    public float Beta2 { get; }

    /// <summary>Denominator epsilon.</summary>
    public float Eps { get; }

    /// <summary>Decoupled weight decay coefficient.</summary>
    public float WeightDecay { get; }

    /// <inheritdoc/>
    public long StepCount { get; private set; }

    /// <summary>Full names of the managed parameters, in update order.</summary>
    public IReadOnlyList<string> ParameterNames => _names;

    /// <summary>Whether the managed parameter <paramref name="index"/> (see <see cref="ParameterNames"/>) is decayed.</summary>
    public bool IsDecayed(int index) => _decay[index];

    /// <inheritdoc/>
    public void Step()
    {
        long t = ++StepCount;
        double lr = LearningRate;
        double bc1 = 1 - Math.Pow(Beta1, t);
        double bc2 = 1 - Math.Pow(Beta2, t);
        _stepSize = (float)(lr / bc1);
        _sqrtBc2 = (float)Math.Sqrt(bc2);
        _decayFactor = (float)(1 - lr * WeightDecay);
        _job.Run();
    }

    void Update(int i, int start, int length)
    {
        var p = _params[i];
        if (!p.Trainable) return;
        OptimizerKernels.AdamW(p.Value.Span.Slice(start, length), p.Grad.Span.Slice(start, length),
            _m[i].AsSpan(start, length), _v[i].AsSpan(start, length),
            _decay[i] ? _decayFactor : 1f, Beta1, Beta2, Eps, _stepSize, _sqrtBc2, _width);
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
        for (int i = 0; i < _params.Length; i++)
        {
            buffers[_names[i] + ".exp_avg"] = (float[])_m[i].Clone();
            buffers[_names[i] + ".exp_avg_sq"] = (float[])_v[i].Clone();
        }
        return new OptimizerState(Kind, StepCount, buffers);
    }

    /// <inheritdoc/>
    public void ImportState(OptimizerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.CheckKind(Kind);
        // Validate everything before changing anything: a bad state leaves the optimizer as it was.
        for (int i = 0; i < _params.Length; i++)
        {
            state.Get(_names[i] + ".exp_avg", _m[i].Length);
            state.Get(_names[i] + ".exp_avg_sq", _v[i].Length);
        }
        state.CheckNoExtra(2 * _params.Length, _names.SelectMany(n => new[] { n + ".exp_avg", n + ".exp_avg_sq" }));
        for (int i = 0; i < _params.Length; i++)
        {
            state.Get(_names[i] + ".exp_avg", _m[i].Length).CopyTo(_m[i], 0);
            state.Get(_names[i] + ".exp_avg_sq", _v[i].Length).CopyTo(_v[i], 0);
        }
        StepCount = state.Step;
    }
}
