using Switchyard.Data;
using Switchyard.Data.Tokenizers;

namespace Switchyard.Tests.Data;

public class UdhrFamilyMixtureTests
{
    [Fact]
    public void HeldOut_LanguagesOnlyInValidation_FamiliesKnown()
    {
        DataMixture m = MixtureCatalog.Build(UdhrFamilyMixture.HeldOutName, ByteTokenizer.Instance, 1, 0.1);
        LabelSet labels = m.Labels;
        Assert.Equal(["Germanic", "Romance"], labels.Families);
        var train = m.Components[0].Split.Train.Documents.Select(d => d.Language).Distinct().Order().ToArray();
        Assert.Equal(UdhrFamilyMixture.Languages.Order(), train);
        var validation = m.Components[0].Split.Validation.Documents.Select(d => d.Language).Distinct().ToHashSet();
        Assert.Contains("swe", validation);
        Assert.Contains("por_PT", validation);
        Assert.Equal(0, labels.FamilyId(labels.LanguageId("swe"))); // Germanic
        Assert.Equal(1, labels.FamilyId(labels.LanguageId("por_PT"))); // Romance
        Assert.Equal(-1, labels.FamilyId(-1));
        Assert.Equal(UdhrFamilyMixture.HeldOutLanguages, UdhrFamilyMixture.HeldOutFor(UdhrFamilyMixture.HeldOutName));
        Assert.Empty(UdhrFamilyMixture.HeldOutFor(UdhrFamilyMixture.Name));
    }

    [Fact]
    public void Six_HasNoHeldOutLanguage()
    {
        DataMixture m = MixtureCatalog.Build(UdhrFamilyMixture.Name, ByteTokenizer.Instance, 1, 0.1);
        Assert.Equal(6, m.Labels.Languages.Count);
    }
}
