namespace Switchyard.Routing;

/// <summary>Which side id a language-guided router ties experts to (ApolloMoE, arXiv 2410.10626).</summary>
public enum LanguageGroup
{
    /// <summary>One expert per language: expert = <see cref="RoutingContext.LanguageIds"/> mod E.</summary>
    Language,

    /// <summary>One expert per language family: expert = <see cref="RoutingContext.LanguageFamilyIds"/> mod E.</summary>
    Family,
}
