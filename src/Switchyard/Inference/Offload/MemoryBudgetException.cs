namespace Switchyard.Inference;

/// <summary>A memory budget (<c>--memory</c>, <c>--expert-memory</c>) too small for what must fit in it; the message gives the minimum.</summary>
public sealed class MemoryBudgetException : SwitchyardException
{
    /// <summary>Creates the exception with a complete message naming the budget and the minimum.</summary>
    public MemoryBudgetException(string message, long budgetBytes, long minimumBytes) : base(message)
    {
        BudgetBytes = budgetBytes;
        MinimumBytes = minimumBytes;
    }

    /// <summary>The budget that was given.</summary>
    public long BudgetBytes { get; }

    /// <summary>The smallest budget that would work.</summary>
    public long MinimumBytes { get; }
}
