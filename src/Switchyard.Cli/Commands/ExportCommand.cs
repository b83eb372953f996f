using System.CommandLine;
using Spectre.Console;
using Switchyard.Data;
using Switchyard.Data.Tokenizers;
using Switchyard.Models;
using Switchyard.Tensors;

namespace Switchyard.Cli.Commands;

/// <summary>
/// <c>switchyard export</c>: writes a checkpoint folder (a run directory, or any folder with
/// <c>config.json</c> + <c>model.safetensors</c>) as a Hugging Face folder or a llama.cpp <c>.gguf</c> file.
/// </summary>
internal static class ExportCommand
{
    // Tokenizer files a Hugging Face folder may hold; an HF export of such a folder copies those present.
    static readonly string[] TokenizerFileNames =
        ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt", "tokenizer.model", "generation_config.json"];

    public static Command Create(IAnsiConsole console)
    {
        var checkpoint = new Option<DirectoryInfo>("--checkpoint") { Description = "Run directory or checkpoint folder (config.json + model.safetensors).", Required = true };
        var format = new Option<string>("--format") { Description = "hf (config.json + model.safetensors + tokenizer files) or gguf.", Required = true };
        var type = new Option<string?>("--type") { Description = "GGUF weight type: f32 (default), f16, bf16 or q8_0." };
        var output = new Option<string>("--out") { Description = "Output folder (hf) or .gguf file (gguf); an existing file is replaced atomically.", Required = true };
        var name = new Option<string?>("--name") { Description = "general.name of a GGUF file (default: the folder name)." };
        var command = new Command("export", "Export a trained checkpoint to a Hugging Face folder or a GGUF file.") { checkpoint, format, type, output, name };
        command.SetAction(parse =>
        {
            DirectoryInfo dir = parse.GetValue(checkpoint)!;
            string fmt = parse.GetValue(format)!.ToLowerInvariant();
            string outPath = parse.GetValue(output)!;
            if (!dir.Exists) throw new UsageException($"--checkpoint: folder '{dir.FullName}' does not exist");
            foreach (string f in new[] { DecoderModel.ConfigFileName, DecoderModel.WeightsFileName })
                if (!File.Exists(Path.Combine(dir.FullName, f)))
                    throw new UsageException($"--checkpoint: '{dir.FullName}' has no {f}");
            GgmlType ggml = parse.GetValue(type)?.ToLowerInvariant() switch
            {
                null or "f32" => GgmlType.F32,
                "f16" => GgmlType.F16,
                "bf16" => GgmlType.BF16,
                "q8_0" => GgmlType.Q8_0,
                var t => throw new UsageException($"--type: expected f32, f16, bf16 or q8_0, found '{t}'"),
            };
            if (fmt == "hf" && parse.GetResult(type) is not null)
                throw new UsageException("--type applies to --format gguf only (hf keeps the checkpoint's float32 weights)");
            var model = DecoderModel.FromPretrained(dir.FullName, MoeFeedForward.Factory);
            // The tokenizer the model was trained with (a run's own, else the folder's tokenizer.json).
            // A folder without one exports without one (as before); a broken tokenizer file is still an error.
            ITokenizer? tokenizer;
            try { tokenizer = GenerateCommand.LoadTokenizer(dir.FullName); }
            catch (Switchyard.Inference.ModelNotFoundException e)
            {
                tokenizer = null;
                console.MarkupLine($"[yellow]note:[/] {Markup.Escape(e.Message)}; the export has no tokenizer");
            }
            switch (fmt)
            {
                case "hf":
                    if (File.Exists(outPath)) throw new UsageException($"--out: '{outPath}' is a file; hf export writes a folder");
                    model.SavePretrained(outPath);
                    int copied = 0;
                    if (tokenizer is ByteTokenizer or BpeTokenizer)
                    {
                        // Ours: written in Hugging Face form (tokenizer.json + configs), plus vocab.json/merges.txt for a BPE.
                        TokenizerFiles.Write(outPath, tokenizer, model.Config.MaxPositionEmbeddings);
                        if (tokenizer is BpeTokenizer bpe) bpe.Vocabulary.Save(outPath);
                        copied = tokenizer is BpeTokenizer ? 5 : 3;
                    }
                    else
                        foreach (string f in TokenizerFileNames)
                        {
                            string src = Path.Combine(dir.FullName, f);
                            if (!File.Exists(src)) continue;
                            Switchyard.Formats.AtomicFile.WriteAllBytes(Path.Combine(outPath, f), File.ReadAllBytes(src));
                            copied++;
                        }
                    console.MarkupLine($"wrote [bold]{Markup.Escape(outPath)}[/] (config.json, model.safetensors, {copied} tokenizer file(s))");
                    break;
                case "gguf":
                    if (Directory.Exists(outPath)) throw new UsageException($"--out: '{outPath}' is a folder; gguf export writes a file");
                    string? folder = Path.GetDirectoryName(Path.GetFullPath(outPath));
                    if (folder is not null) Directory.CreateDirectory(folder);
                    GgufTokenizerData? tokens = null;
                    try { tokens = tokenizer is null ? null : GgufTokenizerData.From(tokenizer); }
                    catch (NotSupportedException e) { throw new UsageException($"--checkpoint: the tokenizer cannot be written as GGUF metadata: {e.Message}"); }
                    GgufCheckpoint.Export(model, outPath, ggml, tokens?.ToMetadata(), name: parse.GetValue(name) ?? dir.Name);
                    console.MarkupLine($"wrote [bold]{Markup.Escape(outPath)}[/] ({ggml}, {new FileInfo(outPath).Length:N0} bytes, {(tokens is null ? "no tokenizer" : $"tokenizer of {tokens.Tokens.Length} tokens")})");
                    break;
                default:
                    throw new UsageException($"--format: expected hf or gguf, found '{fmt}'");
            }
            return 0;
        });
        return command;
    }

    /// <summary>A bad flag value: Program prints the message on one line and exits 2.</summary>
    sealed class UsageException(string message) : SwitchyardException(message);
}
