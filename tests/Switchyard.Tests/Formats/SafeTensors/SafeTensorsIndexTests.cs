using System.Text.Json;
using Switchyard.Formats;
using Switchyard.Tensors;
using Switchyard.Tests.TestSupport;

namespace Switchyard.Tests.Formats;

public sealed class SafeTensorsIndexTests : IDisposable
{
    readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    static SafeTensorEntry Entry(string name, int size, TensorDType dtype, float start) =>
        new(name, new Shape(size), dtype, Enumerable.Range(0, size).Select(i => start + i).ToArray());

    // 40 + 40 + 200 + 20 + 40 bytes, limit 100. Hugging Face's greedy rule: a tensor over the limit
    // becomes a shard at once (before the one being filled); others fill a shard until the next overflows.
    // So: [big], [a, b, c] (exactly 100), [d].
    static SafeTensorEntry[] Checkpoint() =>
    [
        Entry("model.a", 10, TensorDType.F32, 0),
        Entry("model.b", 20, TensorDType.BF16, 100),
        Entry("model.big", 50, TensorDType.F32, 200),
        Entry("model.c", 10, TensorDType.F16, 300),
        Entry("model.d", 10, TensorDType.F32, 400),
    ];

    [Fact]
    public void WriteSharded_ThenOpen_RoundTripsEveryTensor()
    {
        // Given a checkpoint written in shards of at most 100 tensor bytes
        SafeTensorEntry[] entries = Checkpoint();
        IReadOnlyList<string> written = SafeTensors.WriteSharded(_dir.Path, entries, maxShardBytes: 100,
            new Dictionary<string, string> { ["format"] = "pt" });

        // Then the shards follow Hugging Face's names and greedy split
        Assert.Equal(
        [
            "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
            "model-00003-of-00003.safetensors", "model.safetensors.index.json",
        ], written.Select(Path.GetFileName));
        using (var doc = JsonDocument.Parse(File.ReadAllBytes(written[^1])))
        {
            Assert.Equal(340, doc.RootElement.GetProperty("metadata").GetProperty("total_size").GetInt64());
            var map = doc.RootElement.GetProperty("weight_map");
            Assert.Equal(["model.a", "model.b", "model.big", "model.c", "model.d"], map.EnumerateObject().Select(p => p.Name));
            Assert.Equal("model-00001-of-00003.safetensors", map.GetProperty("model.big").GetString());
            Assert.Equal("model-00002-of-00003.safetensors", map.GetProperty("model.a").GetString());
            Assert.Equal("model-00002-of-00003.safetensors", map.GetProperty("model.c").GetString());
            Assert.Equal("model-00003-of-00003.safetensors", map.GetProperty("model.d").GetString());
        }
        Assert.EndsWith("}\n", File.ReadAllText(written[^1]));

        // When read back through the index
        using SafeTensorsIndex index = SafeTensorsIndex.OpenCheckpoint(_dir.Path);
        Assert.Equal(340, index.TotalSize);
        Assert.Equal(entries.Select(e => e.Name).Order(StringComparer.Ordinal), index.Names);
        Assert.Equal(3, index.ShardFiles.Count);
        foreach (SafeTensorEntry e in entries)
        {
            Assert.Equal(e.Data.ToArray(), index.ReadTensor(e.Name).ToArray());
            Assert.Equal(e.DType, index.GetInfo(e.Name).DType);
            Assert.Equal("pt", index.GetShard(e.Name).Metadata["format"]);
        }
        Assert.Equal(80, index.GetBytes("model.a").Length + index.GetBytes("model.b").Length);
    }

    [Fact]
    public void WriteSharded_HuggingFaceHubVector_SameSplit()
    {
        // huggingface_hub tests/test_serialization.py test_multiple_shards: sizes 6, 10, 30, 2, 2, limit 10
        // → [layer_1], [layer_3], [layer_2], [layer_4, layer_5].
        int[] bytes = [6, 10, 30, 2, 2];
        SafeTensorEntry[] entries = bytes.Select((b, i) => Entry($"layer_{i + 1}", b / 2, TensorDType.F16, 0)).ToArray();
        SafeTensors.WriteSharded(_dir.Path, entries, 10);
        using SafeTensorsIndex index = SafeTensorsIndex.OpenCheckpoint(_dir.Path);
        Assert.Equal(50, index.TotalSize);
        Assert.Equal(["model-00001-of-00004.safetensors", "model-00003-of-00004.safetensors", "model-00002-of-00004.safetensors",
                "model-00004-of-00004.safetensors", "model-00004-of-00004.safetensors"],
            entries.Select(e => index.GetShardFileName(e.Name)));
    }

    [Fact]
    public void WriteSharded_AllFitOneShard_WritesSingleFileWithoutIndex()
    {
        IReadOnlyList<string> written = SafeTensors.WriteSharded(_dir.Path, Checkpoint(), maxShardBytes: 1 << 20);
        Assert.Equal([_dir.File("model.safetensors")], written);
        Assert.False(File.Exists(_dir.File("model.safetensors.index.json")));

        using SafeTensorsIndex index = SafeTensorsIndex.OpenCheckpoint(_dir.Path);
        Assert.Null(index.TotalSize);
        Assert.Equal(["model.safetensors"], index.ShardFiles);
        Assert.Equal([300f, 301f, 302f], index.ReadTensor("model.c").ToArray()[..3]);
    }

    [Fact]
    public void WriteSharded_CustomWeightsName_DerivesShardAndIndexNames()
    {
        IReadOnlyList<string> written = SafeTensors.WriteSharded(_dir.Path, Checkpoint(), 100, weightsName: "adapter_model.safetensors");
        Assert.Equal("adapter_model-00001-of-00003.safetensors", Path.GetFileName(written[0]));
        Assert.Equal("adapter_model.safetensors.index.json", Path.GetFileName(written[^1]));
        using SafeTensorsIndex index = SafeTensorsIndex.Open(written[^1]);
        Assert.Equal(5, index.Names.Count);
    }

    [Fact]
    public void WriteSharded_OverEarlierSave_RemovesItsStaleFilesOnly()
    {
        // Given an earlier 3-shard save and an unrelated file that merely looks similar
        SafeTensors.WriteSharded(_dir.Path, Checkpoint(), 100);
        File.WriteAllText(_dir.File("model-0000x-of-00003.safetensors"), "not ours");
        File.WriteAllText(_dir.File("notes.txt"), "keep");

        // When the same folder gets a checkpoint that fits one file
        SafeTensors.WriteSharded(_dir.Path, Checkpoint(), 1 << 20);

        // Then the old shards and index are gone, so loaders cannot pick them up
        Assert.Equal(["model-0000x-of-00003.safetensors", "model.safetensors", "notes.txt"],
            Directory.GetFiles(_dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        // And going back to shards removes the single file
        SafeTensors.WriteSharded(_dir.Path, Checkpoint(), 100);
        Assert.False(File.Exists(_dir.File("model.safetensors")));
        Assert.True(File.Exists(_dir.File("model-00003-of-00003.safetensors")));
    }

    [Fact]
    public void WriteSharded_InvalidEntry_WritesNothing()
    {
        SafeTensorEntry[] entries = [.. Checkpoint(), new("model.a", new Shape(1), TensorDType.F32, new float[1])];
        Assert.Throws<ArgumentException>(() => SafeTensors.WriteSharded(_dir.Path, entries, 100));
        Assert.Empty(Directory.GetFiles(_dir.Path));
    }

    string Index(string json)
    {
        string path = _dir.File("model.safetensors.index.json");
        File.WriteAllText(path, json);
        return path;
    }

    InvalidModelFileException BadIndex(string json, string? read = null)
    {
        string path = Index(json);
        return Assert.Throws<InvalidModelFileException>(() =>
        {
            using SafeTensorsIndex index = SafeTensorsIndex.Open(path);
            if (read is not null) index.ReadTensor(read);
        });
    }

    [Theory]
    [InlineData("{\"weight_map\":{\"w\":\"../secret.safetensors\"}}", "\"../")]
    [InlineData("{\"weight_map\":{\"w\":\"/etc/x.safetensors\"}}", "\"/etc")]
    [InlineData("{\"weight_map\":{\"w\":\"..\"}}", "\"..\"")]
    [InlineData("{\"weight_map\":{\"w\":\"\"}}", "\"\"")]
    public void Open_ShardOutsideFolder_ThrowsAtShardName(string json, string marker)
    {
        var e = BadIndex(json);
        Assert.Equal(json.IndexOf(marker, StringComparison.Ordinal), e.Offset);
        Assert.Contains("must be a plain file name in the index's folder", e.Message);
    }

    [Fact]
    public void Open_MalformedIndex_ThrowsWithOffset()
    {
        Assert.Contains("index has no 'weight_map' object", BadIndex("{\"metadata\":{}}").Message);
        Assert.Contains("index is not valid JSON", BadIndex("{\"weight_map\":{\"w\":").Message);
        var e = BadIndex("{\"weight_map\":{\"w\":3}}");
        Assert.Equal(19, e.Offset);
        Assert.Contains("shard for tensor 'w' must be a string, found a number", e.Message);
        Assert.Contains("duplicate tensor name 'w'", BadIndex("{\"weight_map\":{\"w\":\"a.safetensors\",\"w\":\"b.safetensors\"}}").Message);
        Assert.Contains("total_size must be a non-negative integer", BadIndex("{\"metadata\":{\"total_size\":-1},\"weight_map\":{}}").Message);
    }

    [Fact]
    public void Open_ExtraFieldsAndFloatTotal_AreAccepted()
    {
        using SafeTensorsIndex index = SafeTensorsIndex.Open(Index(
            "{\"metadata\":{\"total_size\":12.0,\"total_parameters\":3},\"format\":\"x\",\"weight_map\":{}}"));
        Assert.Equal(12, index.TotalSize);
        Assert.Empty(index.Names);
    }

    [Fact]
    public void ReadTensor_ShardMissing_ThrowsNamingIndexEntry()
    {
        const string json = "{\"weight_map\":{\"w\":\"model-00001-of-00001.safetensors\"}}";
        var e = BadIndex(json, read: "w");
        Assert.Equal(15, e.Offset);
        Assert.Contains("tensor 'w' is mapped to shard 'model-00001-of-00001.safetensors', which does not exist", e.Message);
    }

    [Fact]
    public void ReadTensor_ShardLacksMappedTensor_ThrowsNamingIndexEntry()
    {
        SafeTensors.Write(_dir.File("s.safetensors"), [Entry("w", 2, TensorDType.F32, 0)]);
        const string json = "{\"weight_map\":{\"w\":\"s.safetensors\",\"ghost\":\"s.safetensors\"}}";
        var e = BadIndex(json, read: "w");
        Assert.Equal(json.IndexOf("\"ghost\"", StringComparison.Ordinal), e.Offset);
        Assert.Contains("tensor 'ghost' is mapped to shard 's.safetensors', which does not contain it", e.Message);
    }

    [Fact]
    public void OpenCheckpoint_EmptyFolder_ThrowsFileNotFound() =>
        Assert.Throws<FileNotFoundException>(() => SafeTensorsIndex.OpenCheckpoint(_dir.Path));
}
