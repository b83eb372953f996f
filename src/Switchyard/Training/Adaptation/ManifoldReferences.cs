using Switchyard.Data;
using Switchyard.Experts;
using Switchyard.Models;
using Switchyard.Routing.Balancers;

namespace Switchyard.Training.Adaptation;

/// <summary>
/// RoMA's reference set (arXiv 2511.07419; shared/specs/token-routers.md §17b): every <see cref="Interval"/> steps (an
/// "epoch"), runs a pool of training examples through the model, keeps those it answers exactly ("successful": a failed
/// sample's routing would poison the targets) and hands their bag-of-tokens embeddings and per-layer routing vectors to
/// every <see cref="ManifoldAlignmentLoss"/> of the model, as fixed (stop-gradient) neighbour targets.
/// </summary>
internal sealed class ManifoldReferences(IReadOnlyList<SyntheticExample> pool, ITokenizer tokenizer, int interval)
{
    /// <summary>Steps between refreshes.</summary>
    public int Interval { get; } = interval > 0 ? interval : throw new ArgumentOutOfRangeException(nameof(interval), interval, "must be positive");

    /// <summary>Successful references at the last refresh.</summary>
    public int Successful { get; private set; }

    /// <summary>Refreshes before steps 1, 1 + interval, …; a model without the term is left alone.</summary>
    public void BeforeStep(int step, DecoderModel model)
    {
        if ((step - 1) % Interval == 0) Refresh(model);
    }

    /// <summary>Runs the pool and replaces every manifold term's references; false when the model has none.</summary>
    public bool Refresh(DecoderModel model)
    {
        List<MoeLayer> layers = TaskProbe.MoeLayers(model);
        var terms = layers.Select(l => l.Router.Balancers.OfType<ManifoldAlignmentLoss>().FirstOrDefault()).ToArray();
        if (terms.All(t => t is null)) return false;
        var ok = TaskProbe.Run(model, pool, tokenizer).Where(r => r.Exact).ToList();
        Successful = ok.Count;
        for (int l = 0; l < layers.Count; l++)
        {
            if (terms[l] is not { } term) continue;
            int v = term.Vocabulary, e = layers[l].Router.Scorer.Experts;
            var embeddings = new float[ok.Count * v];
            var routing = new float[ok.Count * e];
            for (int i = 0; i < ok.Count; i++)
            {
                term.Embed(ok[i].Prompt, embeddings.AsSpan(i * v, v));
                (term.LastToken ? ok[i].Last[l] : ok[i].Mean[l]).CopyTo(routing, i * e);
            }
            term.SetReferences(embeddings, routing, e);
        }
        return true;
    }
}
