namespace Switchyard;

/// <summary>
/// Base of every error a user can cause (bad file, bad flag, bad recipe, bad shape).
/// The CLI prints <see cref="Exception.Message"/> as one line and exits non-zero.
/// </summary>
public class SwitchyardException : Exception
{
    /// <summary>Creates the exception with a complete, user-facing message.</summary>
    public SwitchyardException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the error that caused it.</summary>
    public SwitchyardException(string message, Exception inner) : base(message, inner) { }
}
