namespace Switchyard.Training;

/// <summary>The procedures a reproduction file can name (<c>"procedure"</c>); without one, the arms are trained side by side.</summary>
public static class ReproductionProcedures
{
    static readonly SortedDictionary<string, IReproductionProcedure> s_entries = new(StringComparer.Ordinal)
    {
        ["roma"] = new Adaptation.RomaProcedure(),
        ["test-time-rerouting"] = new Adaptation.TestTimeReroutingProcedure(),
        [SelfSlimmingProcedure.Name] = new SelfSlimmingProcedure(),
        ["moiie"] = new Procedures.MoiieProcedure(),
        ["promoe"] = new Procedures.ProMoeProcedure(),
        [ModelSizeProcedure.Name] = new ModelSizeProcedure(),
        ["language-spread"] = new LanguageSpreadProcedure(),
        ["t2mir-purity"] = new T2mirPurityProcedure(),
        [DuoReproduction.Name] = new DuoReproduction(),
        ["dynamic-dino"] = new DynamicDinoProcedure(),
        ["read-me"] = new ReadMeProcedure(),
        [RoutingFluctuationProcedure.Name] = new RoutingFluctuationProcedure(),
    };

    /// <summary>The procedure names, sorted.</summary>
    public static IReadOnlyCollection<string> Names => s_entries.Keys;

    /// <summary>Procedure <paramref name="name"/>, or null when unknown.</summary>
    public static IReproductionProcedure? Find(string name) => s_entries.GetValueOrDefault(name);
}
