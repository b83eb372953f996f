using Switchyard.Formats.Gguf;
using Switchyard.Models;
using Switchyard.Tensors;
using Switchyard.Tests.Models;

namespace Switchyard.Tests.Formats.Gguf;

/// <summary>
/// Writes the sample files scripts/check-gguf.mjs checks with @huggingface/gguf (docs/formats.md):
/// run with SWITCHYARD_GGUF_SAMPLES=folder; skipped otherwise.
/// </summary>
public sealed class GgufSampleFiles
{
    [Fact]
    public void WriteSamples_ForThirdPartyCheck()
    {
        string? dir = Environment.GetEnvironmentVariable("SWITCHYARD_GGUF_SAMPLES");
        Assert.SkipWhen(string.IsNullOrEmpty(dir), "set SWITCHYARD_GGUF_SAMPLES to a folder to write the samples");
        Directory.CreateDirectory(dir!);
        var w = new GgufWriter().AddMetadata(GgufWriterTests.AllValueTypes());
        w.AddTensor("f32", [3, 2], new float[] { 1, 2, 3, 4, 5, 6 });
        w.AddTensor("f16", [4], new float[] { 0.5f, -1, 2, 65504 }, GgmlType.F16);
        w.AddTensor("q8_0", [32, 2], Enumerable.Range(0, 64).Select(i => i / 10f - 3).ToArray(), GgmlType.Q8_0);
        w.Write(Path.Combine(dir!, "all-types.gguf"));
        var mixtral = new DecoderModel(TinyConfigs.Create("mixtral") with { HiddenSize = 32, IntermediateSize = 32, HeadDim = 16 }, new Rng(1), MoeFeedForward.Factory);
        foreach (var t in new[] { GgmlType.F32, GgmlType.F16, GgmlType.Q8_0 })
            GgufCheckpoint.Export(mixtral, Path.Combine(dir!, $"mixtral-{t.ToString().ToLowerInvariant()}.gguf"), t);
        GgufCheckpoint.Export(new DecoderModel(TinyConfigs.Create("qwen2_moe"), new Rng(1), MoeFeedForward.Factory), Path.Combine(dir!, "qwen2moe-f32.gguf"));
    }
}
