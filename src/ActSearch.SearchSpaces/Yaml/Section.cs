using System.Globalization;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ActSearch.SearchSpaces.Yaml;

/// <summary>
/// One YAML mapping of the schema, read strictly: fields it does not declare are errors (with a suggestion),
/// every typed read reports a wrong type or an out-of-range value at the value's position and falls back to
/// the default, so validation goes on and collects every error. A missing or malformed section reads as empty.
/// </summary>
internal sealed class Section
{
    private readonly Diagnostics _d;
    private readonly Dictionary<string, (YamlScalarNode Key, YamlNode Value)> _fields = new(StringComparer.Ordinal);

    private Section(Diagnostics d, string path, YamlMappingNode? node)
    {
        _d = d;
        Path = path;
        Node = node;
    }

    /// <summary>Dotted path of this section ("" for the top level).</summary>
    public string Path { get; }

    /// <summary>The mapping, or null when the section is absent or not a mapping.</summary>
    public YamlMappingNode? Node { get; }

    public static Section Open(Diagnostics d, YamlNode? node, string path, IReadOnlyList<string> allowed)
    {
        if (node is null || Scalars.IsNull(node)) return new Section(d, path, null);
        if (node is not YamlMappingNode map)
        {
            d.Add(node, $"{Where(path)} must be a mapping of fields (name: value), found {Scalars.Describe(node)}.");
            return new Section(d, path, null);
        }
        var section = new Section(d, path, map);
        foreach (var (key, value) in map.Children)
        {
            if (key is not YamlScalarNode k || k.Style != ScalarStyle.Plain || string.IsNullOrEmpty(k.Value))
            {
                d.Add(key, $"field names in {Where(path)} must be plain words, found {Scalars.Describe(key)}.");
                continue;
            }
            string name = k.Value!;
            if (!allowed.Contains(name, StringComparer.Ordinal))
            {
                d.Add(key, $"unknown field '{Scalars.Shorten(name)}' {(path.Length == 0 ? "at the top level" : $"in '{path}'")}"
                    + Suggestions.DidYouMean(name, allowed) + $"; the fields are: {string.Join(", ", allowed)}.");
                continue;
            }
            section._fields[name] = (k, value);
        }
        return section;
    }

    private static string Where(string path) => path.Length == 0 ? "the file" : $"'{path}'";

    public string Label(string name) => Path.Length == 0 ? $"'{name}'" : $"'{Path}.{name}'";

    public bool Has(string name) => _fields.ContainsKey(name);

    public YamlNode? Value(string name) => _fields.TryGetValue(name, out var f) ? f.Value : null;

    public YamlNode? KeyNode(string name) => _fields.TryGetValue(name, out var f) ? f.Key : null;

    /// <summary>Where a "missing field" error points: the section's own key or mapping, else the start of the file.</summary>
    public Mark Anchor => Node?.Start ?? new Mark(0, 1, 1);

    public Section Child(string name, IReadOnlyList<string> allowed) =>
        Open(_d, Value(name), Path.Length == 0 ? name : $"{Path}.{name}", allowed);

    /// <summary>A required or optional text field; null when absent (a required one is then reported).</summary>
    public string? String(string name, bool required = false)
    {
        var node = Value(name);
        if (node is null)
        {
            if (required) _d.Add(Anchor, $"missing required field {Label(name)}.");
            return null;
        }
        return Scalars.Text(_d, node, Label(name));
    }

    public int Int(string name, int @default, int min, int max) => OptionalInt(name, min, max) ?? @default;

    public int? OptionalInt(string name, int min, int max)
    {
        var node = Value(name);
        return node is null ? null : Scalars.Int(_d, node, Label(name), min, max);
    }

    public ulong ULong(string name, ulong @default)
    {
        var node = Value(name);
        if (node is null) return @default;
        var text = Scalars.Literal(_d, node, Label(name), "a whole number from 0 to 18446744073709551615");
        if (text is null) return @default;
        if (ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong v)) return v;
        _d.Add(node, $"{Label(name)} must be a whole number from 0 to 18446744073709551615, found {Scalars.Quote(text)}.");
        return @default;
    }

    public double Double(string name, double @default, double min, double max, bool minExclusive = false)
    {
        var node = Value(name);
        return node is null ? @default : Scalars.Double(_d, node, Label(name), min, max, minExclusive) ?? @default;
    }

    public bool Bool(string name, bool @default)
    {
        var node = Value(name);
        if (node is null) return @default;
        var text = Scalars.Literal(_d, node, Label(name), "true or false");
        switch (text)
        {
            case null: return @default;
            case "true" or "True" or "TRUE": return true;
            case "false" or "False" or "FALSE": return false;
            default:
                _d.Add(node, $"{Label(name)} must be true or false, found {Scalars.Quote(text)}.");
                return @default;
        }
    }

    public T Enum<T>(string name, T @default, IReadOnlyList<(string Text, T Value)> values)
    {
        var node = Value(name);
        if (node is null) return @default;
        return Scalars.Enum(_d, node, Label(name), values) is { } found ? found.Value : @default;
    }

    /// <summary>The items of a list field; null when absent. An explicit null (<c>aggregates:</c>) is the empty list.</summary>
    public IReadOnlyList<YamlNode>? List(string name)
    {
        var node = Value(name);
        if (node is null) return null;
        if (Scalars.IsNull(node)) return [];
        if (node is YamlSequenceNode seq) return [.. seq.Children];
        _d.Add(node, $"{Label(name)} must be a list ([a, b] or one '- item' per line), found {Scalars.Describe(node)}.");
        return null;
    }
}

/// <summary>Typed reads of single YAML nodes, reporting at the node.</summary>
internal static class Scalars
{
    public static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    public static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode s when IsNull(s) => "nothing",
        YamlScalarNode { Style: ScalarStyle.Plain } s => Quote(s.Value ?? ""),
        YamlScalarNode s => $"the quoted text {Quote(s.Value ?? "")}",
        _ => "an unsupported node",
    };

    /// <summary>Shown values are shortened and control characters escaped, so garbage input gives readable messages.</summary>
    public static string Quote(string text) => $"'{Shorten(text)}'";

    public static string Shorten(string text)
    {
        var sb = new StringBuilder();
        foreach (char c in text.Length > 40 ? text[..40] : text)
            sb.Append(char.IsControl(c) || char.IsSurrogate(c) ? $"\\u{(int)c:X4}" : c.ToString());
        if (text.Length > 40) sb.Append("...");
        return sb.ToString();
    }

    /// <summary>Text of a scalar (plain or quoted); reports lists, mappings and empty values.</summary>
    public static string? Text(Diagnostics d, YamlNode node, string label)
    {
        if (node is YamlScalarNode s && !IsNull(s)) return s.Value ?? "";
        d.Add(node, $"{label} must be text, found {Describe(node)}.");
        return null;
    }

    /// <summary>
    /// Text of an unquoted scalar: numbers and booleans must be written bare, as YAML's core schema reads
    /// them; a quoted "64" is text, and accepting it would hide a mistake.
    /// </summary>
    public static string? Literal(Diagnostics d, YamlNode node, string label, string expected)
    {
        if (node is YamlScalarNode { Style: ScalarStyle.Plain } s && !IsNull(s)) return s.Value!;
        d.Add(node, $"{label} must be {expected}, found {Describe(node)}.");
        return null;
    }

    public static int? Int(Diagnostics d, YamlNode node, string label, int min, int max)
    {
        string expected = $"a whole number from {min} to {max}";
        var text = Literal(d, node, label, expected);
        if (text is null) return null;
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v) && v >= min && v <= max)
            return (int)v;
        d.Add(node, $"{label} must be {expected}, found {Quote(text)}.");
        return null;
    }

    public static double? Double(Diagnostics d, YamlNode node, string label, double min, double max, bool minExclusive = false)
    {
        string range = min == double.MinValue && max == double.MaxValue ? "" : double.IsInfinity(max)
            ? (minExclusive ? $"above {F(min)}" : $"at least {F(min)}")
            : (minExclusive ? $"above {F(min)} and at most {F(max)}" : $"from {F(min)} to {F(max)}");
        string expected = range.Length == 0 ? "a finite number" : $"a number {range}";
        var text = Literal(d, node, label, expected);
        if (text is null) return null;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v)
            && (minExclusive ? v > min : v >= min) && v <= max)
            return v;
        d.Add(node, $"{label} must be {expected}, found {Quote(text)}.");
        return null;
    }

    /// <summary>Any finite number (list items such as constants).</summary>
    public static double? Finite(Diagnostics d, YamlNode node, string label) =>
        Double(d, node, label, double.MinValue, double.MaxValue);

    public static (string Text, T Value)? Enum<T>(Diagnostics d, YamlNode node, string label, IReadOnlyList<(string Text, T Value)> values)
    {
        string choices = string.Join(", ", values.Select(v => v.Text));
        var text = Literal(d, node, label, $"one of: {choices}");
        if (text is null) return null;
        foreach (var v in values)
            if (v.Text == text) return v;
        d.Add(node, $"{label} must be one of: {choices}; found {Quote(text)}.{Suggestions.DidYouMean(text, [.. values.Select(v => v.Text)], sentence: true)}");
        return null;
    }

    private static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>"Did you mean" hints by edit distance, as compilers give them.</summary>
internal static class Suggestions
{
    public static string? Closest(string name, IEnumerable<string> candidates)
    {
        int limit = name.Length <= 3 ? 1 : 2;
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (var c in candidates)
        {
            int dist = Distance(name, c, limit);
            if (dist <= limit && dist < bestDistance)
            {
                best = c;
                bestDistance = dist;
            }
        }
        return best;
    }

    /// <summary>" (did you mean 'x'?)", or "" when nothing is close; <paramref name="sentence"/> gives " Did you mean 'x'?".</summary>
    public static string DidYouMean(string name, IEnumerable<string> candidates, bool sentence = false)
    {
        var best = Closest(name, candidates);
        if (best is null) return "";
        return sentence ? $" Did you mean '{best}'?" : $" (did you mean '{best}'?)";
    }

    /// <summary>Optimal-string-alignment distance, capped: strings further apart than the cap are not compared in full.</summary>
    private static int Distance(string a, string b, int cap)
    {
        if (Math.Abs(a.Length - b.Length) > cap || a.Length > 64 || b.Length > 64) return cap + 1;
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1); // swapped letters count once
            }
        }
        return d[a.Length, b.Length];
    }
}
