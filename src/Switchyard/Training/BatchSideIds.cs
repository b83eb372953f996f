using Switchyard.Data;
using Switchyard.Routing;

namespace Switchyard.Training;

/// <summary>A batch's per-token labels as the routers' side information, the same for training, evaluation and probes.</summary>
internal static class BatchSideIds
{
    /// <summary>Sets <paramref name="context"/>'s task, language, family, modality and role ids to <paramref name="batch"/>'s.</summary>
    public static void Apply(RoutingContext context, TokenBatch batch)
    {
        context.TaskIds = batch.Tasks;
        context.LanguageIds = batch.Languages;
        context.LanguageFamilyIds = batch.Families;
        context.ModalityIds = batch.Modalities;
        context.TokenRoles = batch.Roles;
    }
}
