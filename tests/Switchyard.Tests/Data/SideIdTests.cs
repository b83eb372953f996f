using Switchyard.Data;

namespace Switchyard.Tests.Data;

public sealed class SideIdTests
{
    [Fact]
    public void Next_TaskAndTextRows_ModalityAndRoleFollowSourceAndMask()
    {
        // Given a mixture of natural text and synthetic tasks
        Corpus brown = new("brown", Corpus.Brown().Documents.Where((_, i) => i % 20 == 0));
        var mixture = new DataMixture(ByteTokenizer.Instance,
        [
            new MixtureComponent("brown", brown.Split(0.2, seed: 1), 0.5),
            new MixtureComponent("tasks", SyntheticTasks.CreateSplit(100, 10, seed: 1), 0.5),
        ]);
        var batcher = new TokenBatcher(mixture, 8, 48, seed: 3);
        int tasks = mixture.Labels.TaskId(LabelSet.TextTask);
        bool sawPrompt = false, sawAnswer = false, sawText = false;

        // When batches are drawn
        for (int step = 0; step < 6; step++)
        {
            TokenBatch b = batcher.Next();
            for (int i = 0; i < b.Targets.Length; i++)
            {
                if (b.Sources[i] < 0) { Assert.Equal(-1, b.Modalities[i]); Assert.Equal(-1, b.Roles[i]); Assert.Equal(-1, b.Families[i]); continue; }
                Assert.Equal(mixture.Labels.FamilyId(b.Languages[i]), b.Families[i]);
                bool task = b.Tasks[i] != tasks;

                // Then the modality says text or task, and the role splits task tokens into prompt (unscored) and answer (scored)
                Assert.Equal(task ? LabelSet.TaskModality : LabelSet.TextModality, b.Modalities[i]);
                int role = !task ? LabelSet.TextRole : b.LossMask[i] != 0 ? LabelSet.AnswerRole : LabelSet.PromptRole;
                Assert.Equal(role, b.Roles[i]);
                sawPrompt |= role == LabelSet.PromptRole; sawAnswer |= role == LabelSet.AnswerRole; sawText |= role == LabelSet.TextRole;
            }
        }
        Assert.True(sawPrompt && sawAnswer && sawText);
        Assert.Equal(["text", "task"], LabelSet.Modalities);
        Assert.Equal(["text", "prompt", "answer"], LabelSet.Roles);
    }

    [Fact]
    public void MixtureCatalog_KnownNames_BuildAndUnknownListsNames()
    {
        Assert.Superset(new HashSet<string> { "bundled", "brown", "udhr", "tasks" }, MixtureCatalog.Names.ToHashSet());
        DataMixture tasks = MixtureCatalog.Build("tasks", ByteTokenizer.Instance, 1, 0.1);
        Assert.Equal(["tasks"], tasks.Components.Select(c => c.Name));
        var ex = Assert.Throws<ArgumentException>(() => MixtureCatalog.Build("nope", ByteTokenizer.Instance, 1, 0.1));
        Assert.Contains("unknown data mixture 'nope' (known: ", ex.Message);
        Assert.Contains("bundled", ex.Message);
    }
}
