using System.Globalization;
using System.Text;
using Switchyard.Tensors;

namespace Switchyard.Data;

/// <summary>
/// Seeded generator of the synthetic multi-task suite (<see cref="SyntheticTask"/>), and the
/// train/validation corpora built from it. Held-out examples are chosen by a seeded hash of
/// the prompt, so validation never contains a prompt that training does, however small the
/// task's example space (modular arithmetic has only m² prompts).
/// </summary>
public static class SyntheticTasks
{
    const string Letters = "abcdefghijklmnopqrstuvwxyz";
    const string Digits = "0123456789";
    // A small alphabet, so that counts are usually above zero and vary.
    const string CountAlphabet = "abcd";

    /// <summary>Every task, in enum order.</summary>
    public static IReadOnlyList<SyntheticTask> All { get; } = Enum.GetValues<SyntheticTask>();

    /// <summary>The prefix before the colon and the task label (e.g. <c>rev</c>).</summary>
    public static string Name(SyntheticTask task) => task switch
    {
        SyntheticTask.Copy => "copy",
        SyntheticTask.Reverse => "rev",
        SyntheticTask.Sort => "sort",
        SyntheticTask.ModAdd => "madd",
        SyntheticTask.ModMul => "mmul",
        SyntheticTask.Brackets => "bal",
        SyntheticTask.Count => "count",
        SyntheticTask.Add => "add",
        _ => throw new ArgumentOutOfRangeException(nameof(task), task, "unknown task"),
    };

    /// <summary>Draws one example of <paramref name="task"/> from <paramref name="rng"/>.</summary>
    public static SyntheticExample Generate(SyntheticTask task, Rng rng, SyntheticTaskOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(rng);
        SyntheticTaskOptions o = options ?? SyntheticTaskOptions.Default;
        o.Validate();
        string input = task switch
        {
            SyntheticTask.Copy or SyntheticTask.Reverse => RandomString(rng, Letters, o),
            SyntheticTask.Sort => RandomString(rng, rng.NextInt(2) == 0 ? Digits : Letters, o),
            SyntheticTask.ModAdd => $"{rng.NextInt(o.Modulus)}+{rng.NextInt(o.Modulus)}%{o.Modulus}",
            SyntheticTask.ModMul => $"{rng.NextInt(o.Modulus)}*{rng.NextInt(o.Modulus)}%{o.Modulus}",
            SyntheticTask.Brackets => BracketString(rng, o),
            SyntheticTask.Count => $"{CountAlphabet[rng.NextInt(CountAlphabet.Length)]}|{RandomString(rng, CountAlphabet, o)}",
            SyntheticTask.Add => $"{RandomNumber(rng, o.MaxAddDigits)}+{RandomNumber(rng, o.MaxAddDigits)}",
            _ => throw new ArgumentOutOfRangeException(nameof(task), task, "unknown task"),
        };
        string prompt = $"{Name(task)}:{input}=";
        return new SyntheticExample(task, prompt, Solve(task, input) + "\n");
    }

    /// <summary>
    /// The correct answer (without newline) for a task input, i.e. the prompt between the
    /// colon and <c>=</c>: the scorer for generated answers.
    /// </summary>
    /// <exception cref="FormatException">The input is not of the task's form.</exception>
    public static string Solve(SyntheticTask task, string input)
    {
        ArgumentNullException.ThrowIfNull(input);
        switch (task)
        {
            case SyntheticTask.Copy: return input;
            case SyntheticTask.Reverse:
            {
                char[] c = input.ToCharArray();
                Array.Reverse(c);
                return new string(c);
            }
            case SyntheticTask.Sort:
            {
                char[] c = input.ToCharArray();
                Array.Sort(c);
                return new string(c);
            }
            case SyntheticTask.ModAdd:
            case SyntheticTask.ModMul:
            {
                char op = task == SyntheticTask.ModAdd ? '+' : '*';
                string[] ab = input.Split('%');
                string[] xy = ab.Length == 2 ? ab[0].Split(op) : [];
                if (xy.Length != 2) throw new FormatException($"expected a{op}b%m, found '{input}'");
                long a = Parse(xy[0]), b = Parse(xy[1]), m = Parse(ab[1]);
                if (m <= 0) throw new FormatException($"modulus must be positive in '{input}'");
                return ((op == '+' ? a + b : a * b) % m).ToString(CultureInfo.InvariantCulture);
            }
            case SyntheticTask.Brackets: return IsBalanced(input) ? "y" : "n";
            case SyntheticTask.Count:
            {
                if (input.Length < 2 || input[1] != '|') throw new FormatException($"expected c|string, found '{input}'");
                return input.AsSpan(2).Count(input[0]).ToString(CultureInfo.InvariantCulture);
            }
            case SyntheticTask.Add:
            {
                string[] xy = input.Split('+');
                if (xy.Length != 2) throw new FormatException($"expected a+b, found '{input}'");
                return (Parse(xy[0]) + Parse(xy[1])).ToString(CultureInfo.InvariantCulture);
            }
            default: throw new ArgumentOutOfRangeException(nameof(task), task, "unknown task");
        }
    }

    /// <summary>
    /// Train and validation corpora of the suite: per task, <paramref name="trainPerTask"/> and
    /// <paramref name="validationPerTask"/> examples, one document each (domain and task label =
    /// <see cref="Name"/>, answer span set). A prompt is held out when its seeded hash falls
    /// below <paramref name="validationFraction"/>: train and validation share no prompt.
    /// </summary>
    /// <exception cref="SwitchyardException">A task's example space is too small to draw held-out examples.</exception>
    public static CorpusSplit CreateSplit(int trainPerTask, int validationPerTask, ulong seed,
        double validationFraction = 0.2, SyntheticTaskOptions? options = null, IEnumerable<SyntheticTask>? tasks = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(trainPerTask);
        ArgumentOutOfRangeException.ThrowIfNegative(validationPerTask);
        if (!(validationFraction > 0 && validationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "must be in (0, 1)");
        SyntheticTask[] list = [.. tasks ?? All];
        var train = new List<Document>();
        var validation = new List<Document>();
        foreach (SyntheticTask task in list)
        {
            // Separate streams per task and part: adding a task or changing a count elsewhere
            // leaves the other tasks' examples unchanged.
            Draw(task, new Rng(seed * 0x9E3779B97F4A7C15UL + (ulong)task * 2 + 1), trainPerTask, heldOut: false, "train", train);
            Draw(task, new Rng(seed * 0x9E3779B97F4A7C15UL + (ulong)task * 2 + 2), validationPerTask, heldOut: true, "valid", validation);
        }
        return new CorpusSplit(new Corpus("tasks", train), new Corpus("tasks", validation));

        void Draw(SyntheticTask task, Rng rng, int count, bool heldOut, string part, List<Document> into)
        {
            string name = Name(task);
            long attempts = 0, limit = 1000L * count + 10_000;
            for (int i = 0; i < count;)
            {
                if (++attempts > limit)
                    throw new SwitchyardException($"synthetic task '{name}': could not draw {count} {part} examples (example space too small for validation fraction {validationFraction})");
                SyntheticExample e = Generate(task, rng, options);
                if (StableHash.Unit(e.Prompt, seed) < validationFraction != heldOut) continue;
                into.Add(new Document
                {
                    Id = $"{name}/{part}/{i:D6}",
                    Text = e.Text,
                    Domain = name,
                    Task = name,
                    Answers = [e.AnswerSpan],
                });
                i++;
            }
        }
    }

    static long Parse(string s) =>
        long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out long v) ? v : throw new FormatException($"'{s}' is not a number");

    static string RandomString(Rng rng, string alphabet, SyntheticTaskOptions o)
    {
        int n = o.MinLength + rng.NextInt(o.MaxLength - o.MinLength + 1);
        var sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) sb.Append(alphabet[rng.NextInt(alphabet.Length)]);
        return sb.ToString();
    }

    static int RandomNumber(Rng rng, int maxDigits)
    {
        int digits = 1 + rng.NextInt(maxDigits);
        int low = digits == 1 ? 0 : (int)Math.Pow(10, digits - 1);
        return low + rng.NextInt((int)Math.Pow(10, digits) - low);
    }

    /// <summary>Half balanced strings, half unbalanced ones that differ from balanced by one edit (the hard negatives).</summary>
    static string BracketString(Rng rng, SyntheticTaskOptions o)
    {
        int pairs = Math.Max(1, (o.MinLength + rng.NextInt(o.MaxLength - o.MinLength + 1)) / 2);
        char[] s = Balanced(rng, pairs);
        if (rng.NextInt(2) == 0) return new string(s);
        const string Brackets = "()[]";
        do
        {
            int at = rng.NextInt(s.Length);
            if (rng.NextInt(2) == 0) s[at] = Brackets[rng.NextInt(4)];
            else (s[at], s[s.Length - 1 - at]) = (s[s.Length - 1 - at], s[at]);
        } while (IsBalanced(new string(s)) && s.Length > 0);
        return new string(s);
    }

    static char[] Balanced(Rng rng, int pairs)
    {
        var s = new char[2 * pairs];
        var stack = new Stack<char>();
        int open = pairs;
        for (int i = 0; i < s.Length; i++)
        {
            // Open when we must (stack empty) or by coin flip while openers remain.
            if (open > 0 && (stack.Count == 0 || rng.NextInt(2) == 0))
            {
                bool round = rng.NextInt(2) == 0;
                s[i] = round ? '(' : '[';
                stack.Push(round ? ')' : ']');
                open--;
            }
            else s[i] = stack.Pop();
        }
        return s;
    }

    static bool IsBalanced(string s)
    {
        var stack = new Stack<char>();
        foreach (char c in s)
        {
            switch (c)
            {
                case '(': stack.Push(')'); break;
                case '[': stack.Push(']'); break;
                case ')' or ']':
                    if (stack.Count == 0 || stack.Pop() != c) return false;
                    break;
                default: throw new FormatException($"'{c}' is not a bracket in '{s}'");
            }
        }
        return stack.Count == 0;
    }
}
