using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ActSearch.Api;

/// <summary>
/// A search space sent as a JSON object, written as the block YAML the search-space loader reads (it wants plain
/// keys, not JSON's quoted ones). Strings stay plain when YAML would read them back as the same string, otherwise
/// they are double-quoted (JSON's escapes are YAML's). Error positions then refer to this YAML's lines.
/// </summary>
internal static partial class JsonToYaml
{
    public static string Convert(JsonElement root)
    {
        var sb = new StringBuilder();
        WriteObject(sb, root, 0);
        return sb.ToString();
    }

    private static void WriteObject(StringBuilder sb, JsonElement obj, int indent)
    {
        foreach (var p in obj.EnumerateObject())
        {
            sb.Append(' ', indent).Append(Key(p.Name)).Append(':');
            WriteValue(sb, p.Value, indent);
        }
    }

    // After "key:" or "-": a scalar or flow list on the same line, a block on the next lines.
    private static void WriteValue(StringBuilder sb, JsonElement value, int indent)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object when value.EnumerateObject().Any():
                sb.Append('\n');
                WriteObject(sb, value, indent + 2);
                break;
            case JsonValueKind.Object:
                sb.Append(" {}\n");
                break;
            case JsonValueKind.Array when value.EnumerateArray().All(IsScalar):
                sb.Append(" [").AppendJoin(", ", value.EnumerateArray().Select(Scalar)).Append("]\n");
                break;
            case JsonValueKind.Array:
                sb.Append('\n');
                foreach (var item in value.EnumerateArray())
                {
                    sb.Append(' ', indent + 2).Append('-');
                    if (item.ValueKind == JsonValueKind.Object && item.EnumerateObject().Any())
                    {
                        // "- key: value" with the item's other keys under it
                        bool first = true;
                        foreach (var p in item.EnumerateObject())
                        {
                            if (first) sb.Append(' ');
                            else sb.Append(' ', indent + 4);
                            first = false;
                            sb.Append(Key(p.Name)).Append(':');
                            WriteValue(sb, p.Value, indent + 4);
                        }
                    }
                    else
                    {
                        WriteValue(sb, item, indent + 2);
                    }
                }
                break;
            default:
                sb.Append(' ').Append(Scalar(value)).Append('\n');
                break;
        }
    }

    private static bool IsScalar(JsonElement e) => e.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array);

    private static string Scalar(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => Text(e.GetString()!),
        JsonValueKind.Number => e.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Null => "null",
        _ => e.GetRawText(),
    };

    private static string Key(string name) => PlainKey().IsMatch(name) ? name : JsonSerializer.Serialize(name);

    private static string Text(string s) =>
        PlainText().IsMatch(s) && !double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            && s is not ("true" or "false" or "null" or "yes" or "no" or "on" or "off" or "~")
            ? s
            : JsonSerializer.Serialize(s);

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_\-]*$")]
    private static partial Regex PlainKey();

    // Words, formulas and names: letters, digits and a few safe marks, not starting with a YAML indicator.
    [GeneratedRegex(@"^[A-Za-z0-9_.][A-Za-z0-9_.@+*/()^\- ]*$")]
    private static partial Regex PlainText();
}
