using System.CommandLine;

namespace Switchyard.Cli;

/// <summary>Entry point of the <c>switchyard</c> command.</summary>
public static class Program
{
    /// <summary>Parses the command line and runs the chosen command; user errors print one line and exit 2.</summary>
    public static int Main(string[] args)
    {
        var root = new RootCommand("Switchyard: Mixture-of-Experts models with routing as the pluggable part.");
        try
        {
            return root.Parse(args).Invoke();
        }
        catch (SwitchyardException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }
}
