using System.IO.Compression;
using System.Text;
using Switchyard.Data;

namespace Switchyard.Tests.Data;

public sealed class CorpusTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("switchyard-corpus-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static readonly string[] BrownGenres =
    [
        "adventure", "belles_lettres", "editorial", "fiction", "government", "hobbies", "humor", "learned",
        "lore", "mystery", "news", "religion", "reviews", "romance", "science_fiction",
    ];

    [Fact]
    public void Brown_Embedded_Has500DocumentsIn15Genres()
    {
        Corpus brown = Corpus.Brown();

        Assert.Equal(500, brown.Documents.Count);
        Assert.Equal(BrownGenres, brown.Domains);
        Assert.Equal("ca01", brown.Documents[0].Id);
        Assert.Equal("news", brown.Documents[0].Domain);
        Assert.All(brown.Documents, d => Assert.Equal("eng", d.Language));
        Assert.InRange(brown.Characters, 5_500_000, 6_500_000);
    }

    [Fact]
    public void Brown_Text_IsDetokenizedWithoutTags()
    {
        string text = Corpus.Brown().Documents[0].Text;

        Assert.StartsWith("The Fulton County Grand Jury said Friday an investigation of Atlanta's recent primary election produced \"no evidence\" that any irregularities took place.", text);
        Assert.DoesNotContain("/at ", text);
        Assert.DoesNotContain("``", text);
        Assert.DoesNotContain(" ,", text);
        Assert.DoesNotContain(" .", text);
    }

    [Fact]
    public void Udhr_Embedded_HasExpectedLanguagesFamiliesAndArticles()
    {
        Corpus udhr = Corpus.Udhr();
        var byLanguage = udhr.Documents.GroupBy(d => d.Language!).ToDictionary(g => g.Key, g => g.ToList());

        Assert.Equal(41, byLanguage.Count);
        Assert.All(byLanguage.Values, docs => Assert.Equal(31, docs.Count)); // preamble + 30 articles
        foreach (string code in (string[])["eng", "deu_1996", "fra", "rus", "gle", "fin", "tur", "arb", "hin", "swh", "ind", "cmn_hans", "jpn", "kor", "tha"])
            Assert.True(byLanguage.ContainsKey(code), code);
        string[] families = [.. udhr.Documents.Select(d => d.Family!).Distinct().Order(StringComparer.Ordinal)];
        foreach (string f in (string[])["Germanic", "Romance", "Slavic", "Celtic", "Uralic", "Turkic", "Semitic", "Indo-Aryan", "Bantu", "Austronesian", "Sino-Tibetan", "Japonic"])
            Assert.Contains(f, families);
        Assert.Equal("Sino-Tibetan", byLanguage["cmn_hans"][0].Family);
        Assert.Equal("Han", byLanguage["cmn_hans"][0].Script);
        Assert.Equal("eng/01", byLanguage["eng"][1].Id);
        Assert.StartsWith("Article 1\nAll human beings are born free and equal in dignity and rights.", byLanguage["eng"][1].Text);
        Assert.Equal("article/01", byLanguage["fra"][1].SplitKey);
    }

    [Fact]
    public void Load_PlainAndGzipFiles_ReadBothRecordShapes()
    {
        string jsonl = """
            {"id":"a","text":"first","domain":"x","task":"t1"}

            {"id":"b","text":"second","genre":"y","language":"eng","family":"Germanic","splitKey":"k"}
            {"code":"zz","family":"Test","script":"Latin","articles":["pre","one"]}
            """;
        string plain = Path.Combine(_dir, "mini.jsonl");
        File.WriteAllText(plain, jsonl);
        string gz = Path.Combine(_dir, "mini2.jsonl.gz");
        using (var gzip = new GZipStream(File.Create(gz), CompressionLevel.Fastest)) gzip.Write(Encoding.UTF8.GetBytes(jsonl));

        foreach (string path in (string[])[plain, gz])
        {
            Corpus c = Corpus.Load(path);
            Assert.Equal(["a", "b", "zz/00", "zz/01"], c.Documents.Select(d => d.Id));
            Assert.Equal("x", c.Documents[0].Domain);
            Assert.Equal("t1", c.Documents[0].Task);
            Assert.Equal("y", c.Documents[1].Domain);
            Assert.Equal("k", c.Documents[1].SplitKey);
            Assert.Equal("one", c.Documents[3].Text);
            Assert.Equal("zz", c.Documents[3].Domain);
        }
        Assert.Equal("mini", Corpus.Load(plain).Name);
    }

    public static TheoryData<string, int, string> MalformedFiles() => new()
    {
        { "{\"id\":\"a\",\"text\":\"ok\"}\n{\"id\":\"b\",\"text\":\"ok\"}\n{\"id\": oops}\n", 3, "not valid JSON" },
        { "{\"id\":\"a\",\"text\":\"ok\"}\n{\"text\":\"no id\"}\n", 2, "missing required string field 'id'" },
        { "{\"id\":\"a\",\"text\":\"ok\"}\n{\"id\":\"a\",\"text\":\"again\"}\n", 2, "duplicate document id 'a'" },
        { "{\"id\":\"a\",\"text\":42}\n", 1, "field 'text' must be a string" },
        { "[1,2]\n", 1, "expected a JSON object" },
        { "{\"code\":\"q\",\"articles\":[\"x\",\"\"]}\n", 1, "'articles[1]' of 'q' must be a non-empty string" },
        { "\n\n", 0, "no documents" },
    };

    [Theory, MemberData(nameof(MalformedFiles))]
    public void Load_MalformedFile_ThrowsNamingFileAndLine(string content, int line, string problem)
    {
        string path = Path.Combine(_dir, "bad.jsonl");
        File.WriteAllText(path, content);

        var e = Assert.Throws<InvalidCorpusFileException>(() => Corpus.Load(path));

        Assert.Equal(path, e.Path);
        Assert.Equal(line, e.Line);
        Assert.Contains(problem, e.Message);
        Assert.StartsWith(line > 0 ? $"{path}:{line}: " : $"{path}: ", e.Message);
        Assert.IsAssignableFrom<SwitchyardException>(e);
    }

    [Fact]
    public void Load_MissingFile_ThrowsInvalidCorpusFile()
    {
        string path = Path.Combine(_dir, "absent.jsonl.gz");
        var e = Assert.Throws<InvalidCorpusFileException>(() => Corpus.Load(path));
        Assert.Contains("absent.jsonl.gz", e.Message);
    }

    [Fact]
    public void Load_TruncatedGzip_ThrowsInvalidCorpusFile()
    {
        string path = Path.Combine(_dir, "cut.jsonl.gz");
        var ms = new MemoryStream();
        using (var gzip = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
            for (int i = 0; i < 2000; i++) gzip.Write(Encoding.UTF8.GetBytes($"{{\"id\":\"d{i}\",\"text\":\"{Guid.NewGuid()}\"}}\n"));
        File.WriteAllBytes(path, ms.ToArray()[..(int)(ms.Length / 2)]);

        Assert.Throws<InvalidCorpusFileException>(() => Corpus.Load(path));
    }
}
