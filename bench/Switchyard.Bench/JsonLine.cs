using System.Text;
using System.Text.Json;

namespace Switchyard.Bench;

/// <summary>Builds one flat JSON object and prints it as one line (JSON Lines).</summary>
internal sealed class JsonLine
{
    readonly MemoryStream _stream = new();
    readonly Utf8JsonWriter _writer;

    public JsonLine(string caseName)
    {
        _writer = new Utf8JsonWriter(_stream);
        _writer.WriteStartObject();
        _writer.WriteString("case", caseName);
    }

    public JsonLine Add(string name, string value) { _writer.WriteString(name, value); return this; }
    public JsonLine Add(string name, long value) { _writer.WriteNumber(name, value); return this; }
    public JsonLine Add(string name, bool value) { _writer.WriteBoolean(name, value); return this; }

    /// <summary>Rounded to <paramref name="digits"/> decimals: benchmark noise makes more digits meaningless.</summary>
    public JsonLine Add(string name, double value, int digits)
    {
        if (double.IsFinite(value)) _writer.WriteNumber(name, Math.Round(value, digits));
        else _writer.WriteNull(name);
        return this;
    }

    public void Print()
    {
        _writer.WriteEndObject();
        _writer.Flush();
        Console.WriteLine(Encoding.UTF8.GetString(_stream.ToArray()));
    }
}
