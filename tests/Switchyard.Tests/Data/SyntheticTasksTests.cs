using System.Globalization;
using Switchyard.Data;
using Switchyard.Tensors;

namespace Switchyard.Tests.Data;

public sealed class SyntheticTasksTests
{
    public static TheoryData<SyntheticTask> Tasks() => [.. SyntheticTasks.All];

    [Theory, MemberData(nameof(Tasks))]
    public void Generate_EveryTask_AnswerIsCorrect(SyntheticTask task)
    {
        var rng = new Rng(11);
        for (int i = 0; i < 300; i++)
        {
            SyntheticExample e = SyntheticTasks.Generate(task, rng);

            Assert.StartsWith(SyntheticTasks.Name(task) + ":", e.Prompt);
            Assert.EndsWith("=", e.Prompt);
            Assert.EndsWith("\n", e.Answer);
            string input = e.Prompt[(e.Prompt.IndexOf(':') + 1)..^1];
            Assert.Equal(Oracle(task, input), e.Answer[..^1]);
        }
    }

    [Theory, MemberData(nameof(Tasks))]
    public void Encode_MaskCoversExactlyTheAnswer(SyntheticTask task)
    {
        var rng = new Rng(5);
        for (int i = 0; i < 50; i++)
        {
            SyntheticExample e = SyntheticTasks.Generate(task, rng);

            var (ids, mask) = e.Encode(ByteTokenizer.Instance);

            Assert.Equal(ids.Length, mask.Length);
            int[] answerIds = [.. ids.Where((_, k) => mask[k] == 1)];
            int[] promptIds = [.. ids.Where((_, k) => mask[k] == 0)];
            Assert.Equal(e.Answer, ByteTokenizer.Instance.Decode(answerIds));
            Assert.Equal(e.Prompt, ByteTokenizer.Instance.Decode(promptIds));
            Assert.Equal(e.Answer, e.Text.Substring(e.AnswerSpan.Start, e.AnswerSpan.Length));
            // The answer is a suffix: the mask is 0…0 1…1.
            Assert.Equal(mask.Order().ToArray(), mask);
        }
    }

    [Fact]
    public void Generate_Brackets_BothClassesOccur()
    {
        var rng = new Rng(2);
        var answers = Enumerable.Range(0, 200).Select(_ => SyntheticTasks.Generate(SyntheticTask.Brackets, rng).Answer).ToList();
        Assert.InRange(answers.Count(a => a == "y\n"), 60, 140);
    }

    [Fact]
    public void Generate_SameSeed_SameExamples()
    {
        var a = new Rng(9);
        var b = new Rng(9);
        foreach (SyntheticTask t in SyntheticTasks.All)
            Assert.Equal(SyntheticTasks.Generate(t, a), SyntheticTasks.Generate(t, b));
    }

    [Fact]
    public void CreateSplit_TrainAndValidation_ShareNoPrompt()
    {
        CorpusSplit s = SyntheticTasks.CreateSplit(trainPerTask: 300, validationPerTask: 60, seed: 4);

        Assert.Equal(300 * SyntheticTasks.All.Count, s.Train.Documents.Count);
        Assert.Equal(60 * SyntheticTasks.All.Count, s.Validation.Documents.Count);
        var trainTexts = s.Train.Documents.Select(d => d.Text).ToHashSet();
        Assert.DoesNotContain(s.Validation.Documents, d => trainTexts.Contains(d.Text));
        Assert.Equal(SyntheticTasks.All.Select(SyntheticTasks.Name).Order(StringComparer.Ordinal), s.Validation.Domains);
        Assert.All(s.Train.Documents, d =>
        {
            CharSpan a = Assert.Single(d.Answers);
            Assert.Equal(d.Text.IndexOf('=') + 1, a.Start);
            Assert.Equal(d.Text.Length, a.End);
            Assert.Equal(d.Domain, d.Task);
        });
    }

    [Fact]
    public void CreateSplit_SameSeed_Identical()
    {
        var a = SyntheticTasks.CreateSplit(50, 10, seed: 1);
        var b = SyntheticTasks.CreateSplit(50, 10, seed: 1);
        Assert.Equal(a.Train.Documents.Select(d => d.Text), b.Train.Documents.Select(d => d.Text));
        Assert.Equal(a.Validation.Documents.Select(d => d.Text), b.Validation.Documents.Select(d => d.Text));
    }

    [Fact]
    public void CreateSplit_TinyExampleSpace_ThrowsClearly()
    {
        var options = new SyntheticTaskOptions { Modulus = 2 }; // 4 prompts
        var e = Assert.Throws<SwitchyardException>(() =>
            SyntheticTasks.CreateSplit(10, 10, seed: 3, validationFraction: 0.01, options, [SyntheticTask.ModAdd]));
        Assert.Contains("madd", e.Message);
    }

    [Fact]
    public void Solve_MalformedInput_ThrowsFormatException() =>
        Assert.Throws<FormatException>(() => SyntheticTasks.Solve(SyntheticTask.Add, "12-3"));

    // Independent of SyntheticTasks.Solve: recomputed from the definition of each task.
    static string Oracle(SyntheticTask task, string input)
    {
        switch (task)
        {
            case SyntheticTask.Copy:
                Assert.Matches("^[a-z]{1,8}$", input);
                return input;
            case SyntheticTask.Reverse:
                Assert.Matches("^[a-z]{1,8}$", input);
                return string.Concat(input.Reverse());
            case SyntheticTask.Sort:
                Assert.Matches("^([a-z]{1,8}|[0-9]{1,8})$", input);
                return string.Concat(input.OrderBy(c => (int)c));
            case SyntheticTask.ModAdd:
            case SyntheticTask.ModMul:
            {
                var m = System.Text.RegularExpressions.Regex.Match(input, @"^(\d+)([+*])(\d+)%(\d+)$");
                Assert.True(m.Success, input);
                int a = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), b = int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
                int mod = int.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture);
                Assert.Equal(task == SyntheticTask.ModAdd ? "+" : "*", m.Groups[2].Value);
                Assert.InRange(a, 0, mod - 1);
                return ((task == SyntheticTask.ModAdd ? a + b : a * b) % mod).ToString(CultureInfo.InvariantCulture);
            }
            case SyntheticTask.Brackets:
            {
                Assert.Matches(@"^[()\[\]]+$", input);
                // Repeatedly delete adjacent matched pairs: balanced iff nothing is left.
                string s = input;
                for (string prev = ""; prev != s;) { prev = s; s = s.Replace("()", "").Replace("[]", ""); }
                return s.Length == 0 ? "y" : "n";
            }
            case SyntheticTask.Count:
                Assert.Matches(@"^[a-d]\|[a-d]{1,8}$", input);
                return input[2..].Count(c => c == input[0]).ToString(CultureInfo.InvariantCulture);
            case SyntheticTask.Add:
            {
                string[] p = input.Split('+');
                Assert.All(p, x => Assert.Matches("^(0|[1-9][0-9]{0,3})$", x));
                return (long.Parse(p[0], CultureInfo.InvariantCulture) + long.Parse(p[1], CultureInfo.InvariantCulture)).ToString(CultureInfo.InvariantCulture);
            }
            default:
                throw new InvalidOperationException(task.ToString());
        }
    }
}
