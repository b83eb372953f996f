using System.CommandLine;
using System.Text;
using System.Text.Json;
using Spectre.Console;
using Switchyard.Routing.Catalog;
using Switchyard.Training;

namespace Switchyard.Cli.Commands;

/// <summary><c>switchyard routers</c>: the router catalog, as a table or JSON.</summary>
internal static class RoutersCommand
{
    public static Command Create(IAnsiConsole console, TextWriter output)
    {
        var json = new Option<bool>("--json") { Description = "Print the catalog as JSON (name, description, paper, arxiv, causal, options)." };
        var command = new Command("routers", "List the router catalog: names, what each does, its paper and options with defaults.") { json };
        command.SetAction(parse =>
        {
            if (parse.GetValue(json))
            {
                using var stream = new MemoryStream();
                using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
                    RouterCatalog.WriteJson(w);
                output.WriteLine(Encoding.UTF8.GetString(stream.ToArray()));
                return 0;
            }
            var table = new Table().Border(TableBorder.Rounded).AddColumn("router").AddColumn("what it does").AddColumn("paper").AddColumn("options (default)");
            foreach (RouterEntry e in RouterCatalog.Entries)
            {
                string options = e.Options.Count == 0 ? "—" : string.Join("\n", e.Options.Select(o => $"{o.Name} = {o.DefaultText}  [dim]({Markup.Escape(o.TypeText)})[/]"));
                table.AddRow(new Markup($"[bold]{Markup.Escape(e.Name)}[/]"), new Text(e.Description),
                    new Markup($"{Markup.Escape(e.Paper)}\n[dim]arXiv:{Markup.Escape(e.ArXiv)}[/]"), new Markup(options));
            }
            console.Write(table);
            console.MarkupLine($"[dim]train --router and compare --routers also take [bold]{RouterComparison.Dense}[/]: not a router but the dense control "
                + "(one SwiGLU MLP of width k·F + shared width per layer: equal active parameters; docs/training.md).[/]");
            return 0;
        });
        return command;
    }
}
