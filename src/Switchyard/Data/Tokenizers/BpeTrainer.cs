using System.Text;
using System.Text.RegularExpressions;

namespace Switchyard.Data;

/// <summary>
/// Learns byte-level BPE merges from training text (Microsoft.ML.Tokenizers can encode
/// with BPE but not train it). Deterministic: the same texts and settings give the same
/// merges on every machine. Text is cut by the same pre-tokenizer <see cref="BpeTokenizer"/>
/// uses, then the most frequent adjacent pair is merged repeatedly (ties: the lower ids).
/// </summary>
public static class BpeTrainer
{
    /// <summary>Trains a vocabulary of at most <paramref name="vocabSize"/> ids (256 bytes + 3 specials + merges).</summary>
    /// <param name="texts">Training text only: never the validation split.</param>
    /// <param name="vocabSize">Total ids wanted, at least 259.</param>
    /// <param name="minFrequency">Stop early when the best pair occurs fewer times than this.</param>
    public static BpeVocabulary Train(IEnumerable<string> texts, int vocabSize, int minFrequency = 2)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (vocabSize < ByteLevel.FirstMergeId)
            throw new ArgumentOutOfRangeException(nameof(vocabSize), vocabSize, $"must be at least {ByteLevel.FirstMergeId} (256 bytes + 3 special ids)");
        ArgumentOutOfRangeException.ThrowIfLessThan(minFrequency, 1);

        // 1. Count pre-tokenized words (merges never cross their boundaries).
        var wordCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        Regex pre = ByteLevel.PreTokenizerPattern();
        foreach (string text in texts)
            foreach (ValueMatch m in pre.EnumerateMatches(text))
            {
                string w = text.Substring(m.Index, m.Length);
                wordCounts[w] = wordCounts.GetValueOrDefault(w) + 1;
            }

        // 2. Words as byte-id sequences, in ordinal order so that nothing depends on hashing.
        string[] distinct = [.. wordCounts.Keys.Order(StringComparer.Ordinal)];
        var words = new List<int>[distinct.Length];
        var freq = new long[distinct.Length];
        for (int i = 0; i < distinct.Length; i++)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(distinct[i]);
            words[i] = new List<int>(bytes.Length);
            foreach (byte b in bytes) words[i].Add(b);
            freq[i] = wordCounts[distinct[i]];
        }

        var tokens = new List<string>(vocabSize);
        for (int b = 0; b < 256; b++) tokens.Add(ByteLevel.ByteToChar[b].ToString());
        tokens.Add(ByteLevel.PadToken);
        tokens.Add(ByteLevel.BosToken);
        tokens.Add(ByteLevel.EosToken);

        // 3. Pair counts, the words each pair occurs in, and a max-heap with lazy deletion.
        var counts = new Dictionary<long, long>();
        var where = new Dictionary<long, HashSet<int>>();
        var heap = new PriorityQueue<long, (long NegCount, long Key)>();
        var touched = new HashSet<long>();
        for (int w = 0; w < words.Length; w++) AddPairs(w, +1);
        foreach (var (key, c) in counts) heap.Enqueue(key, (-c, key));

        var merges = new List<(string, string)>(vocabSize - ByteLevel.FirstMergeId);
        while (tokens.Count < vocabSize && heap.TryDequeue(out long best, out var priority))
        {
            long count = counts.GetValueOrDefault(best);
            if (-priority.NegCount != count) continue; // stale entry
            if (count < minFrequency) break;
            int left = (int)(best >> 32), right = (int)(best & 0xFFFFFFFF);
            int merged = tokens.Count;
            tokens.Add(tokens[left] + tokens[right]);
            merges.Add((tokens[left], tokens[right]));

            touched.Clear();
            // Ascending word order: the heap's content does not depend on hash-set order.
            int[] affected = [.. where[best].Order()];
            where.Remove(best); // merged everywhere below: the pair no longer exists
            foreach (int w in affected)
            {
                if (!Contains(words[w], left, right)) continue; // stale: an earlier merge consumed it
                AddPairs(w, -1);
                List<int> s = words[w];
                int o = 0;
                for (int i = 0; i < s.Count; i++)
                {
                    if (i + 1 < s.Count && s[i] == left && s[i + 1] == right) { s[o++] = merged; i++; }
                    else s[o++] = s[i];
                }
                s.RemoveRange(o, s.Count - o);
                AddPairs(w, +1);
            }
            foreach (long key in touched)
                if (counts.GetValueOrDefault(key) is > 0 and var c) heap.Enqueue(key, (-c, key));
        }
        return new BpeVocabulary([.. tokens], [.. merges]);

        static bool Contains(List<int> s, int left, int right)
        {
            for (int i = 0; i + 1 < s.Count; i++)
                if (s[i] == left && s[i + 1] == right) return true;
            return false;
        }

        void AddPairs(int w, int sign)
        {
            List<int> s = words[w];
            for (int i = 0; i + 1 < s.Count; i++)
            {
                long key = ((long)s[i] << 32) | (uint)s[i + 1];
                long c = counts.GetValueOrDefault(key) + sign * freq[w];
                if (c == 0) counts.Remove(key); else counts[key] = c;
                if (sign > 0)
                {
                    if (!where.TryGetValue(key, out var set)) where[key] = set = [];
                    set.Add(w);
                }
                touched.Add(key);
            }
        }
    }
}
