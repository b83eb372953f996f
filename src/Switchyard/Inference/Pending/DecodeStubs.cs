// Stand-ins for helper "decode"'s Sampler and SamplingOptions (apis5.md), so generation compiles and
// is tested before decode's sampler lands. Delete this file when merging that commit: the engine calls
// the agreed shape (new Sampler(options).Sample(logits), SamplingOptions.Greedy / Temperature / TopK / TopP / MinP / Seed).
using Switchyard.Tensors;

namespace Switchyard.Inference;

/// <summary>How the next token is drawn from the logits (greedy when <see cref="Temperature"/> is 0).</summary>
public sealed record SamplingOptions
{
    /// <summary>Greedy decoding: always the most likely token.</summary>
    public static SamplingOptions Greedy { get; } = new() { Temperature = 0f };

    /// <summary>Softmax temperature; 0 = greedy (argmax).</summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>Keep only the K most likely tokens; 0 = off.</summary>
    public int TopK { get; init; }

    /// <summary>Keep the fewest most likely tokens whose mass reaches P; 1 = off.</summary>
    public float TopP { get; init; } = 1f;

    /// <summary>Drop tokens whose probability is below MinP × the top probability; 0 = off.</summary>
    public float MinP { get; init; }

    /// <summary>Seed of the random draws.</summary>
    public ulong Seed { get; init; }
}

/// <summary>Draws token ids from logits by <see cref="SamplingOptions"/>; deterministic for a seed. Allocates only on first use.</summary>
public sealed class Sampler
{
    readonly SamplingOptions _options;
    readonly Rng _rng;
    float[] _probs = [];
    int[] _order = [];

    /// <summary>Creates a sampler.</summary>
    public Sampler(SamplingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _rng = new Rng(options.Seed);
    }

    /// <summary>The id drawn from <paramref name="logits"/>.</summary>
    public int Sample(ReadOnlySpan<float> logits)
    {
        int n = logits.Length;
        int best = 0;
        for (int i = 1; i < n; i++) if (logits[i] > logits[best]) best = i;
        if (_options.Temperature <= 0f) return best;
        if (_probs.Length < n) { _probs = new float[n]; _order = new int[n]; }
        Span<float> p = _probs.AsSpan(0, n);
        Span<int> order = _order.AsSpan(0, n);
        double sum = 0;
        for (int i = 0; i < n; i++) { p[i] = MathF.Exp((logits[i] - logits[best]) / _options.Temperature); sum += p[i]; order[i] = i; }
        for (int i = 0; i < n; i++) p[i] = (float)(p[i] / sum);
        // Descending probability, ties to the lower id.
        var probs = _probs;
        order.Sort((a, b) => probs[b] != probs[a] ? probs[b].CompareTo(probs[a]) : a.CompareTo(b));
        int keep = _options.TopK > 0 ? Math.Min(_options.TopK, n) : n;
        float mass = 0f, top = p[order[0]];
        int kept = 0;
        for (; kept < keep; kept++)
        {
            float q = p[order[kept]];
            if (kept > 0 && (mass >= _options.TopP || q < _options.MinP * top)) break;
            mass += q;
        }
        float u = _rng.NextFloat() * mass, acc = 0f;
        for (int j = 0; j < kept; j++)
        {
            acc += p[order[j]];
            if (u < acc) return order[j];
        }
        return order[kept - 1];
    }
}
