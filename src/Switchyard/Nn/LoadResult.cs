namespace Switchyard.Nn;

/// <summary>What a non-strict <see cref="Module.Load"/> skipped, as PyTorch's <c>load_state_dict</c> reports.</summary>
/// <param name="Missing">Parameters of the module the file lacks (left unchanged).</param>
/// <param name="Unexpected">Tensors of the file the module lacks (ignored).</param>
public sealed record LoadResult(IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected);
