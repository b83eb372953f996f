namespace Switchyard.Tests.Training;

/// <summary>
/// Runs that set the global kernel thread count: alone, so that no other test changes it mid-run
/// (bit-identical resume depends on it).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TrainingCollection
{
    public const string Name = "training runs";
}
