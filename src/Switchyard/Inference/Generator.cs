using System.Diagnostics;

namespace Switchyard.Inference;

/// <summary>
/// Autoregressive generation with an <see cref="InferenceModel"/>: the prompt in one prefill pass,
/// then one decode step per new token against the KV cache. Deterministic for a sampling seed and a
/// thread count. Owns one cache and one logits row, reused across calls.
/// </summary>
public sealed class Generator
{
    readonly InferenceModel _model;
    readonly KvCache _cache;
    readonly float[] _logits;
    readonly int[] _one = new int[1];

    /// <summary>Creates a generator over <paramref name="model"/> with a cache of the model's context.</summary>
    public Generator(InferenceModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        _cache = model.CreateCache();
        _logits = new float[model.VocabSize];
    }

    /// <summary>The cache of the last generation (prompt and generated tokens).</summary>
    public KvCache Cache => _cache;

    /// <summary>The logits of the last forward pass.</summary>
    public ReadOnlySpan<float> LastLogits => _logits;

    /// <summary>
    /// Generates up to <paramref name="maxNewTokens"/> tokens after <paramref name="prompt"/>, stopping at
    /// any of <paramref name="stopTokens"/> (not emitted), when <paramref name="onToken"/> returns false
    /// (the token it saw is kept), or when the context is full.
    /// </summary>
    /// <exception cref="ArgumentException">An empty prompt.</exception>
    /// <exception cref="ArgumentOutOfRangeException">maxNewTokens is negative, or an id is outside the vocabulary.</exception>
    /// <exception cref="InvalidOperationException">The prompt does not fit in the context.</exception>
    public GenerationResult Generate(ReadOnlySpan<int> prompt, int maxNewTokens, SamplingOptions sampling,
        ReadOnlySpan<int> stopTokens = default, Func<int, bool>? onToken = null)
    {
        ArgumentNullException.ThrowIfNull(sampling);
        ArgumentOutOfRangeException.ThrowIfNegative(maxNewTokens);
        if (prompt.IsEmpty) throw new ArgumentException("the prompt has no tokens", nameof(prompt));
        var sampler = new Sampler(sampling);
        var tokens = new List<int>(Math.Min(maxNewTokens, 4096));
        _cache.Reset();
        long t0 = Stopwatch.GetTimestamp();
        _model.Forward(prompt, _cache, _logits);
        int next = sampler.Sample(_logits);
        double promptSeconds = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        long t1 = Stopwatch.GetTimestamp();
        int steps = 0;
        StopReason reason = StopReason.MaxTokens;
        while (tokens.Count < maxNewTokens)
        {
            if (stopTokens.Contains(next)) { reason = StopReason.StopToken; break; }
            tokens.Add(next);
            if (onToken is not null && !onToken(next)) { reason = StopReason.Callback; break; }
            if (tokens.Count == maxNewTokens) break;
            if (_cache.Length >= _cache.Capacity) { reason = StopReason.ContextFull; break; }
            _one[0] = next;
            _model.Forward(_one, _cache, _logits);
            next = sampler.Sample(_logits);
            steps++;
        }
        double decodeSeconds = Stopwatch.GetElapsedTime(t1).TotalSeconds;
        return new GenerationResult([.. tokens], prompt.Length, promptSeconds, decodeSeconds, steps, reason);
    }
}
