using Switchyard.Autograd;
using Switchyard.Tensors;

namespace Switchyard.Routing.Balancers;

/// <summary>
/// RoMA's routing-manifold term (arXiv 2511.07419; shared/specs/token-routers.md §17b) for one layer:
/// λ · (1/S) Σ_i Σ_{j∈N(i)} W_ij ‖r_i − r_j‖², with r_i the sample's dense routing probabilities pooled over its tokens,
/// N(i) its k nearest references by cosine of bag-of-token embeddings, W_ij the cosine similarities normalised to sum
/// to 1, and r_j the references' cached routing vectors (constants: stop-gradient).
/// </summary>
/// <remarks>
/// <para>A balancer because the term is a function of one layer's probabilities and the batch's side information
/// (token ids, roles), which is what a balancer receives: the spec's concatenation over layers,
/// ‖[r¹…r^L]_i − [r¹…r^L]_j‖² = Σ_l ‖r^l_i − r^l_j‖², splits into one such term per layer, so no trainer change is needed.
/// The references (successful samples: their embeddings and per-layer routing) come from outside, through
/// <see cref="SetReferences"/>, refreshed each epoch by the training procedure, which can run the model.</para>
/// <para>Samples are the complete task examples of the batch: a run of prompt-role targets followed by a run of
/// answer-role targets (<see cref="RoutingContext.TokenRoles"/>), neither cut by the window. Their prompt tokens are the
/// inputs one position after the prompt-role targets. Training steps only; without references the term is absent.</para>
/// </remarks>
public sealed class ManifoldAlignmentLoss : IBalancer
{
    /// <summary>Role id of a task prompt target (<c>LabelSet.Roles</c>: text, prompt, answer).</summary>
    public const int PromptRole = 1;

    /// <summary>Role id of a task answer target.</summary>
    public const int AnswerRole = 2;

    float[] _embeddings = [], _routing = [];
    int _references;

    /// <summary>Creates the term.</summary>
    /// <param name="lambda">λ, the coefficient.</param>
    /// <param name="neighbours">k nearest references per sample.</param>
    /// <param name="vocabulary">Width V of the bag-of-tokens embedding; token t counts in bucket t mod V (exact for bytes, V = 256).</param>
    /// <param name="lastToken">Pool the routing at the sample's last prompt token (the one that predicts the answer's first token) instead of the mean over its tokens.</param>
    /// <exception cref="ArgumentOutOfRangeException">λ negative or not finite, k or the vocabulary not positive.</exception>
    public ManifoldAlignmentLoss(float lambda, int neighbours, int vocabulary, bool lastToken = false)
    {
        if (!(lambda >= 0) || !float.IsFinite(lambda)) throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "must be a finite number ≥ 0");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(neighbours);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocabulary);
        Lambda = lambda;
        Neighbours = neighbours;
        Vocabulary = vocabulary;
        LastToken = lastToken;
    }

    /// <inheritdoc/>
    public string Name => "manifold";

    /// <summary>λ.</summary>
    public float Lambda { get; }

    /// <summary>k.</summary>
    public int Neighbours { get; }

    /// <summary>Embedding width (token vocabulary).</summary>
    public int Vocabulary { get; }

    /// <summary>Whether r_i is the last prompt token's routing rather than the mean over the sample.</summary>
    public bool LastToken { get; }

    /// <summary>Reference samples currently cached.</summary>
    public int References => _references;

    /// <summary>Samples the last training call found in its batch (0 when the term was absent).</summary>
    public int LastSamples { get; private set; }

    /// <summary>
    /// Replaces the references: <paramref name="embeddings"/> [M, V] (each row normalised here) and their routing
    /// vectors for this layer, <paramref name="routing"/> [M, E]. Copied; M = 0 clears them.
    /// </summary>
    /// <exception cref="ArgumentException">The lengths are not M rows of V and of E for one M.</exception>
    public void SetReferences(ReadOnlySpan<float> embeddings, ReadOnlySpan<float> routing, int experts)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(experts);
        if (embeddings.Length % Vocabulary != 0 || routing.Length % experts != 0 || embeddings.Length / Vocabulary != routing.Length / experts)
            throw new ArgumentException($"{embeddings.Length} embedding values and {routing.Length} routing values are not M rows of {Vocabulary} and of {experts}");
        _references = embeddings.Length / Vocabulary;
        _embeddings = embeddings.ToArray();
        _routing = routing.ToArray();
        for (int m = 0; m < _references; m++) Normalise(_embeddings.AsSpan(m * Vocabulary, Vocabulary));
    }

    /// <summary>
    /// Bag-of-tokens embedding of <paramref name="tokens"/> into <paramref name="embedding"/> [V], L2-normalised
    /// (token t counts in bucket t mod V; negative ids are ignored).
    /// </summary>
    public void Embed(ReadOnlySpan<int> tokens, Span<float> embedding)
    {
        embedding.Clear();
        foreach (int t in tokens) if (t >= 0) embedding[t % Vocabulary] += 1f;
        Normalise(embedding);
    }

    /// <inheritdoc/>
    public Var? Loss(Tape tape, in BalancerInput input, RoutingStatistics statistics)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(statistics);
        LastSamples = 0;
        RoutingContext context = input.Context;
        if (!context.Training || _references == 0 || Lambda == 0) return null;
        Var probs = input.Probabilities;
        int n = probs.Shape[0], e = probs.Shape[1];
        if (_routing.Length != _references * e) return null; // references of another expert count: not this router's
        ReadOnlySpan<int> roles = context.TokenRoles.Span, ids = context.TokenIds.Span;
        if (roles.Length != n || ids.Length != n) return null;
        var samples = Samples(roles, context.SequenceLength > 0 ? context.SequenceLength : n);
        if (samples.Count == 0) return null;

        // Pooling matrix A [S, N] (mean or last token) and neighbour targets m_i = Σ_j W_ij r_j [S, E];
        // Σ_j W_ij ‖r_i − r_j‖² = ‖r_i − m_i‖² + (Σ_j W_ij ‖r_j‖² − ‖m_i‖²) since Σ_j W_ij = 1: the bracket is constant.
        int s = samples.Count;
        Tensor pool = tape.Allocate(new Shape(s, n), zero: true), target = tape.Allocate(new Shape(s, e), zero: true);
        Span<float> embedding = new float[Vocabulary];
        int k = Math.Min(Neighbours, _references);
        Span<int> near = stackalloc int[k];
        Span<float> weight = stackalloc float[k];
        double constant = 0;
        for (int i = 0; i < s; i++)
        {
            var (start, promptEnd, end) = samples[i];
            Span<float> a = pool.Span.Slice(i * n, n);
            if (LastToken) a[promptEnd] = 1f;
            else a.Slice(start, end - start).Fill(1f / (end - start));
            Embed(ids.Slice(start + 1, promptEnd - start), embedding);
            Nearest(embedding, near, weight);
            Span<float> m = target.Span.Slice(i * e, e);
            for (int j = 0; j < k; j++)
            {
                ReadOnlySpan<float> r = _routing.AsSpan(near[j] * e, e);
                double sq = 0;
                for (int c = 0; c < e; c++) { m[c] += weight[j] * r[c]; sq += (double)r[c] * r[c]; }
                constant += weight[j] * sq;
            }
            for (int c = 0; c < e; c++) constant -= (double)m[c] * m[c];
        }
        Var pooled = tape.MatMul(tape.Constant(pool), probs);
        Var diff = tape.Sub(pooled, tape.Constant(target));
        Var sum = tape.Sum(tape.Mul(diff, diff));
        Tensor c0 = tape.Allocate(sum.Shape, zero: true);
        c0.Span.Fill((float)constant);
        Var raw = tape.Scale(tape.Add(sum, tape.Constant(c0)), 1f / s);
        LastSamples = s;
        statistics.AddAuxLoss(Name, raw.Value[0], Lambda);
        return tape.Scale(raw, Lambda);
    }

    // Complete examples per sequence: [start, promptEnd] prompt-role targets, (promptEnd, end) answer-role targets,
    // neither touching the sequence's edges (a cut example's prompt or answer is partial).
    internal static List<(int Start, int PromptEnd, int End)> Samples(ReadOnlySpan<int> roles, int sequence)
    {
        var list = new List<(int, int, int)>();
        for (int row = 0; row + sequence <= roles.Length; row += sequence)
        {
            ReadOnlySpan<int> r = roles.Slice(row, sequence);
            for (int t = 1; t < sequence; t++)
            {
                if (r[t] != PromptRole || r[t - 1] == PromptRole) continue;
                int p = t;
                while (p + 1 < sequence && r[p + 1] == PromptRole) p++;
                int end = p + 1;
                while (end < sequence && r[end] == AnswerRole) end++;
                if (end == p + 1 || end >= sequence) continue; // no answer, or the answer runs to the window's end
                list.Add((row + t, row + p + 1, row + end)); // promptEnd: the first answer-role target (its input is the prompt's last token)
                t = end - 1;
            }
        }
        return list;
    }

    // The k references of highest cosine (ties: lower index), weights = max(cos, 0) normalised to sum to 1 (uniform when all are 0).
    void Nearest(ReadOnlySpan<float> embedding, Span<int> near, Span<float> weight)
    {
        int k = near.Length;
        Span<float> best = stackalloc float[k];
        best.Fill(float.NegativeInfinity);
        for (int m = 0; m < _references; m++)
        {
            float cos = 0;
            ReadOnlySpan<float> row = _embeddings.AsSpan(m * Vocabulary, Vocabulary);
            for (int v = 0; v < row.Length; v++) cos += row[v] * embedding[v];
            int at = k;
            while (at > 0 && cos > best[at - 1]) at--;
            if (at == k) continue;
            for (int j = k - 1; j > at; j--) { best[j] = best[j - 1]; near[j] = near[j - 1]; }
            best[at] = cos;
            near[at] = m;
        }
        float total = 0;
        for (int j = 0; j < k; j++) total += weight[j] = Math.Max(best[j], 0f);
        for (int j = 0; j < k; j++) weight[j] = total > 0 ? weight[j] / total : 1f / k;
    }

    static void Normalise(Span<float> v)
    {
        double sq = 0;
        foreach (float x in v) sq += (double)x * x;
        if (sq == 0) return;
        float inv = (float)(1 / Math.Sqrt(sq));
        for (int i = 0; i < v.Length; i++) v[i] *= inv;
    }
}
