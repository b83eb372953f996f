using System.CommandLine;
using Spectre.Console;
using Switchyard.Cli.Commands;

namespace Switchyard.Cli;

/// <summary>Entry point of the <c>switchyard</c> command.</summary>
public static class Program
{
    /// <summary>Parses the command line and runs the chosen command; user errors print one line and exit 2.</summary>
    public static int Main(string[] args)
    {
        // Ctrl+C stops training after the current step with a checkpoint (resume with --resume).
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            if (cancel.IsCancellationRequested) return; // a second Ctrl+C ends the process
            e.Cancel = true;
            cancel.Cancel();
        };
        return Run(args, AnsiConsole.Console, Console.Out, Console.Error, cancel.Token);
    }

    /// <summary>
    /// Runs the command line with injected output: <paramref name="console"/> for tables and progress,
    /// <paramref name="output"/> for machine-readable text (<c>--json</c>), <paramref name="error"/> for the one-line errors.
    /// </summary>
    internal static int Run(string[] args, IAnsiConsole console, TextWriter output, TextWriter error, CancellationToken cancel = default)
    {
        var root = new RootCommand("Switchyard: Mixture-of-Experts models with routing as the pluggable part.")
        {
            TrainCommand.Create(console, cancel),
            RoutersCommand.Create(console, output),
            CompareCommand.Create(console, cancel),
            GenerateCommand.Create(output, error),
            BenchCommand.Create(output),
            PlanCommand.Create(console, output),
            ExportCommand.Create(console),
            ReproduceCommand.Create(console, cancel),
        };
        ParseResult parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            error.WriteLine($"error: {parse.Errors[0].Message}");
            return 2;
        }
        try
        {
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = output, Error = error });
        }
        catch (SwitchyardException e)
        {
            error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }
}
