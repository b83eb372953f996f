using System.Text;
using Switchyard.Tensors;

namespace Switchyard.Data;

/// <summary>
/// The <c>interleaved</c> mixture's source (shared/specs/token-routers.md §13 (d)): alternating segments of natural
/// text (Brown) and of synthetic-task lines, one document each, so that a training window crosses from one
/// "modality" to the other (the bundled mixture draws each window from one source and never switches inside it).
/// Text segments are 64–256 characters of a Brown document cut at whitespace; task segments are whole task lines
/// (prompt and answer) until 64–256 characters, task label <see cref="Label"/>. Every token is scored, the task
/// prompts included (no answer spans): the stream is modelled as a byte stream, like the spec's synthetic "image" bytes,
/// so the first tokens after a switch count in the loss. Train and validation come from the two sides of the Brown
/// and task splits, so they share no document and no task prompt.
/// </summary>
public static class InterleavedCorpus
{
    /// <summary>Task (and domain) label of the task segments.</summary>
    public const string Label = "tasks";

    const int MinSegment = 64, MaxSegment = 256;

    /// <summary>The train and validation parts, deterministic in <paramref name="seed"/>.</summary>
    public static CorpusSplit CreateSplit(double validationFraction, ulong seed)
    {
        CorpusSplit brown = Corpus.Brown().Split(validationFraction, seed);
        CorpusSplit tasks = SyntheticTasks.CreateSplit(2000, 200, seed);
        return new CorpusSplit(
            new Corpus("interleaved", Interleave(brown.Train.Documents, tasks.Train.Documents, new Rng(seed ^ 0x1A7E_51EA_F00DUL), "train")),
            new Corpus("interleaved", Interleave(brown.Validation.Documents, tasks.Validation.Documents, new Rng(seed ^ 0x1A7E_51EA_BEEFUL), "valid")));
    }

    // Text, task, text, task, … until the task lines run out (they are the scarcer source).
    static List<Document> Interleave(IReadOnlyList<Document> text, IReadOnlyList<Document> lines, Rng rng, string part)
    {
        var docs = new List<Document>();
        int doc = 0, at = 0, line = 0;
        var sb = new StringBuilder();
        while (line < lines.Count && doc < text.Count)
        {
            // A text segment: the next 64–256 characters of the current Brown document, ending at whitespace.
            string t = text[doc].Text;
            while (at < t.Length && char.IsWhiteSpace(t[at])) at++;
            int end = Math.Min(t.Length, at + MinSegment + rng.NextInt(MaxSegment - MinSegment + 1));
            while (end < t.Length && !char.IsWhiteSpace(t[end])) end++;
            if (end > at)
                docs.Add(new Document { Id = $"text/{part}/{docs.Count:D6}", Text = t[at..end], Domain = text[doc].Domain, Language = text[doc].Language, Family = text[doc].Family });
            at = end;
            if (at >= t.Length) { doc++; at = 0; }

            // A task segment: whole lines until 64–256 characters.
            int want = MinSegment + rng.NextInt(MaxSegment - MinSegment + 1);
            sb.Clear();
            while (line < lines.Count && sb.Length < want) sb.Append(lines[line++].Text);
            docs.Add(new Document { Id = $"task/{part}/{docs.Count:D6}", Text = sb.ToString(), Domain = Label, Task = Label });
        }
        return docs;
    }
}
