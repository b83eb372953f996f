namespace Switchyard.Routing;

/// <summary>
/// A router option that is unknown, of the wrong type or out of range (e.g. k &gt; E). The
/// message names the router and the option, says what was wrong, and lists the valid options
/// with their types, ranges and defaults.
/// </summary>
public sealed class InvalidRouterOptionException : SwitchyardException
{
    /// <summary>Creates the exception with a complete message.</summary>
    public InvalidRouterOptionException(string router, string option, string message)
        : base(message)
    {
        Router = router;
        Option = option;
    }

    /// <summary>The router whose options were being read.</summary>
    public string Router { get; }

    /// <summary>The offending option name.</summary>
    public string Option { get; }
}
