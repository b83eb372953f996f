namespace Switchyard.Nn.Layers;

/// <summary>Checks that a replacement child is a linear layer of the same widths.</summary>
internal static class LinearSlot
{
    public static ILinearLayer Check(Module child, string name, int inFeatures, int outFeatures)
    {
        if (child is not ILinearLayer l)
            throw new ArgumentException($"child '{name}' must be a linear layer, got {child.GetType().Name}", nameof(child));
        if (l.InFeatures != inFeatures || l.OutFeatures != outFeatures)
            throw new ArgumentException($"child '{name}' must map {inFeatures} → {outFeatures}, got {l.InFeatures} → {l.OutFeatures}", nameof(child));
        return l;
    }
}
