namespace Switchyard.Training;

/// <summary>The procedures a reproduction file can name (<c>"procedure"</c>); without one, the arms are trained side by side.</summary>
public static class ReproductionProcedures
{
    static readonly SortedDictionary<string, IReproductionProcedure> s_entries = new(StringComparer.Ordinal)
    {
        [RoutingFluctuationProcedure.Name] = new RoutingFluctuationProcedure(),
    };

    /// <summary>The procedure names, sorted.</summary>
    public static IReadOnlyCollection<string> Names => s_entries.Keys;

    /// <summary>Procedure <paramref name="name"/>, or null when unknown.</summary>
    public static IReproductionProcedure? Find(string name) => s_entries.GetValueOrDefault(name);
}
