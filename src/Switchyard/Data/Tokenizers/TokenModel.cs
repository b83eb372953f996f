using System.Text;
using Ml = Microsoft.ML.Tokenizers;

namespace Switchyard.Data.Tokenizers;

/// <summary>The model step: one pre-tokenized piece → ids.</summary>
internal abstract class TokenModel
{
    public abstract void Encode(string piece, List<int> ids);

    /// <summary>
    /// Byte-level BPE (GPT-2, Qwen2/3, Llama 3, GPT-NeoX/OLMoE) by Microsoft.ML.Tokenizers: the piece's UTF-8
    /// bytes as GPT-2's printable characters, then merges by rank. <paramref name="ignoreMerges"/> (Llama 3):
    /// a piece that is itself in the vocabulary is one token.
    /// </summary>
    public sealed class ByteLevelBpe(Ml.BpeTokenizer ml, Dictionary<string, int> vocab, bool ignoreMerges) : TokenModel
    {
        readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup = vocab.GetAlternateLookup<ReadOnlySpan<char>>();

        public override void Encode(string piece, List<int> ids)
        {
            if (piece.Length == 0) return;
            if (ignoreMerges)
            {
                int n = Encoding.UTF8.GetByteCount(piece);
                if (n <= 256)
                {
                    Span<byte> bytes = stackalloc byte[n];
                    Encoding.UTF8.GetBytes(piece, bytes);
                    Span<char> chars = stackalloc char[n];
                    for (int k = 0; k < n; k++) chars[k] = ByteLevel.ByteToChar[bytes[k]];
                    if (_lookup.TryGetValue(chars, out int whole)) { ids.Add(whole); return; }
                }
            }
            ids.AddRange(ml.EncodeToIds(piece, considerPreTokenization: false, considerNormalization: false));
        }
    }

    /// <summary>
    /// Character-level BPE with merges by rank (tokenizers' BPE model, as in Llama 2 / Mistral / Mixtral
    /// tokenizer.json): characters missing from the vocabulary become <c>&lt;0xNN&gt;</c> byte tokens
    /// (byte fallback) or the unknown token. Merging uses a priority queue (tokenizers' word.rs), so a
    /// long unsplit text costs O(n log n).
    /// </summary>
    public sealed class MergesBpe(Dictionary<string, int> vocab, Dictionary<long, (int Rank, int Id)> merges,
        int[]? byteIds, int unknownId, bool fuseUnknown) : TokenModel
    {
        readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup = vocab.GetAlternateLookup<ReadOnlySpan<char>>();

        public override void Encode(string piece, List<int> ids)
        {
            var symbols = new List<int>(piece.Length);
            Span<byte> utf8 = stackalloc byte[4];
            for (int i = 0; i < piece.Length;)
            {
                int len = char.IsHighSurrogate(piece[i]) && i + 1 < piece.Length && char.IsLowSurrogate(piece[i + 1]) ? 2 : 1;
                if (_lookup.TryGetValue(piece.AsSpan(i, len), out int id)) symbols.Add(id);
                else if (byteIds is not null)
                {
                    int n = Encoding.UTF8.GetBytes(piece.AsSpan(i, len), utf8);
                    for (int k = 0; k < n; k++) symbols.Add(byteIds[utf8[k]]);
                }
                else if (unknownId >= 0 && !(fuseUnknown && symbols.Count > 0 && symbols[^1] == unknownId)) symbols.Add(unknownId);
                i += len;
            }
            Merge(symbols, merges);
            ids.AddRange(symbols);
        }

        /// <summary>Applies merges lowest rank first, leftmost on ties; rewrites <paramref name="symbols"/> with the result.</summary>
        internal static void Merge(List<int> symbols, Dictionary<long, (int Rank, int Id)> merges)
        {
            int n = symbols.Count;
            if (n < 2) return;
            int[] id = [.. symbols];
            var prev = new int[n];
            var next = new int[n];
            var alive = new bool[n];
            for (int k = 0; k < n; k++) { prev[k] = k - 1; next[k] = k + 1 < n ? k + 1 : -1; alive[k] = true; }
            var queue = new PriorityQueue<(int Pos, int NewId), (int Rank, int Pos)>();
            for (int k = 0; k + 1 < n; k++)
                if (merges.TryGetValue(Key(id[k], id[k + 1]), out var m)) queue.Enqueue((k, m.Id), (m.Rank, k));
            while (queue.TryDequeue(out var top, out _))
            {
                int p = top.Pos;
                if (!alive[p]) continue;
                int q = next[p];
                if (q < 0) continue;
                // Stale entry: a neighbour changed since it was queued.
                if (!merges.TryGetValue(Key(id[p], id[q]), out var m) || m.Id != top.NewId) continue;
                id[p] = m.Id;
                alive[q] = false;
                next[p] = next[q];
                if (next[q] >= 0) prev[next[q]] = p;
                if (prev[p] >= 0 && merges.TryGetValue(Key(id[prev[p]], id[p]), out var left)) queue.Enqueue((prev[p], left.Id), (left.Rank, prev[p]));
                if (next[p] >= 0 && merges.TryGetValue(Key(id[p], id[next[p]]), out var right)) queue.Enqueue((p, right.Id), (right.Rank, p));
            }
            symbols.Clear();
            for (int k = 0; k >= 0; k = next[k]) symbols.Add(id[k]);
        }

        internal static long Key(int left, int right) => ((long)left << 32) | (uint)right;
    }

    /// <summary>
    /// SentencePiece BPE as llama.cpp runs it for GGUF <c>llama</c> vocabularies: start from UTF-8
    /// characters, repeatedly merge the adjacent pair whose concatenation is the vocabulary token with the
    /// highest score (leftmost on ties); characters that never became tokens are emitted as <c>&lt;0xNN&gt;</c>.
    /// </summary>
    public sealed class ScoreBpe(Dictionary<string, int> vocab, float[] scores, int[]? byteIds, int unknownId) : TokenModel
    {
        readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup = vocab.GetAlternateLookup<ReadOnlySpan<char>>();

        public override void Encode(string text, List<int> ids)
        {
            // Symbols are code points: [start, start + length) in text, linked.
            var start = new List<int>(text.Length);
            var length = new List<int>(text.Length);
            for (int i = 0; i < text.Length;)
            {
                int len = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
                start.Add(i);
                length.Add(len);
                i += len;
            }
            int n = start.Count;
            var prev = new int[n];
            var next = new int[n];
            for (int k = 0; k < n; k++) { prev[k] = k - 1; next[k] = k + 1 < n ? k + 1 : -1; }
            var queue = new PriorityQueue<(int Left, int Right, int Size), (float NegScore, int Left)>();
            for (int k = 1; k < n; k++) TryAdd(k - 1, k);
            while (queue.TryDequeue(out var b, out _))
            {
                // Skip pairs one of whose symbols has merged since.
                if (length[b.Left] == 0 || length[b.Right] == 0 || length[b.Left] + length[b.Right] != b.Size) continue;
                length[b.Left] += length[b.Right];
                length[b.Right] = 0;
                next[b.Left] = next[b.Right];
                if (next[b.Right] >= 0) prev[next[b.Right]] = b.Left;
                TryAdd(prev[b.Left], b.Left);
                TryAdd(b.Left, next[b.Left]);
            }
            Span<byte> utf8 = stackalloc byte[8];
            for (int k = n > 0 ? 0 : -1; k >= 0; k = next[k])
            {
                var s = text.AsSpan(start[k], length[k]);
                if (_lookup.TryGetValue(s, out int id)) { ids.Add(id); continue; }
                // Only single characters can be missing (merged symbols are tokens): their bytes.
                int nb = Encoding.UTF8.GetBytes(s, utf8);
                for (int j = 0; j < nb; j++)
                {
                    int bid = byteIds?[utf8[j]] ?? -1;
                    if (bid >= 0) ids.Add(bid);
                    else if (unknownId >= 0) ids.Add(unknownId);
                }
            }

            void TryAdd(int left, int right)
            {
                if (left < 0 || right < 0) return;
                if (!_lookup.TryGetValue(text.AsSpan(start[left], length[left] + length[right]), out int id)) return;
                queue.Enqueue((left, right, length[left] + length[right]), (-scores[id], left));
            }
        }
    }
}
