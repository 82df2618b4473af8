using System.Globalization;

namespace ActSearch.Evaluation.Data;

/// <summary>How to read a CSV file into a <see cref="Dataset"/>.</summary>
public sealed record CsvOptions
{
    /// <summary>Header name of the target column; null means the last column.</summary>
    public string? TargetColumn { get; init; }

    /// <summary>True: the target is a class (integers 0..K-1, or names mapped to 0..K-1 in ordinal order). False: a real value.</summary>
    public bool Classification { get; init; } = true;

    /// <summary>Header names of columns to skip (identifiers, free text).</summary>
    public IReadOnlyCollection<string> IgnoreColumns { get; init; } = [];

    public char Separator { get; init; } = ',';
}

/// <summary>
/// Reads a numeric CSV with a header row: every column except the target (and ignored ones) is a feature and must
/// parse as a number (invariant culture). Fields may be quoted; blank lines are skipped. Errors name the file,
/// the line and the column.
/// </summary>
public static class CsvTable
{
    public static Dataset Load(string path, CsvOptions? options = null, string? name = null)
    {
        options ??= new CsvOptions();
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such CSV file.", path);
        using var reader = new StreamReader(path);
        return Read(reader, path, options, name ?? Path.GetFileNameWithoutExtension(path));
    }

    internal static Dataset Read(TextReader reader, string path, CsvOptions options, string name)
    {
        string? headerLine = reader.ReadLine();
        int lineNumber = 1;
        while (headerLine is not null && headerLine.Trim().Length == 0)
        {
            headerLine = reader.ReadLine();
            lineNumber++;
        }
        if (headerLine is null) throw new DataFormatException(path, "empty file: a header row is required");
        var header = SplitLine(headerLine, options.Separator, path, lineNumber).Select(h => h.Trim()).ToArray();
        int target = options.TargetColumn is null ? header.Length - 1 : Array.IndexOf(header, options.TargetColumn);
        if (target < 0)
            throw new DataFormatException(path, $"line {lineNumber}: no column named '{options.TargetColumn}' in the header ({string.Join(", ", header)})");
        var ignored = new HashSet<string>(options.IgnoreColumns, StringComparer.Ordinal);
        foreach (var column in ignored)
            if (!header.Contains(column)) throw new DataFormatException(path, $"line {lineNumber}: no column named '{column}' to ignore");
        int[] featureColumns = [.. Enumerable.Range(0, header.Length).Where(i => i != target && !ignored.Contains(header[i]))];
        if (featureColumns.Length == 0) throw new DataFormatException(path, "no feature columns");

        var features = new List<float>();
        var targetText = new List<string>();
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            lineNumber++;
            if (line.Trim().Length == 0) continue;
            var fields = SplitLine(line, options.Separator, path, lineNumber);
            if (fields.Count != header.Length)
                throw new DataFormatException(path, $"line {lineNumber}: {fields.Count} fields, the header has {header.Length}");
            foreach (int c in featureColumns)
            {
                if (!double.TryParse(fields[c], NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
                    throw new DataFormatException(path, $"line {lineNumber}, column {c + 1} ('{header[c]}'): '{fields[c]}' is not a number");
                features.Add((float)v);
            }
            targetText.Add(fields[target].Trim());
        }
        if (targetText.Count == 0) throw new DataFormatException(path, "no data rows after the header");

        if (!options.Classification)
        {
            var targets = new float[targetText.Count];
            for (int i = 0; i < targets.Length; i++)
                if (!double.TryParse(targetText[i], NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
                    throw new DataFormatException(path, $"data row {i + 1}: target '{targetText[i]}' in column '{header[target]}' is not a number");
                else targets[i] = (float)v;
            return new Dataset(name, [featureColumns.Length], [.. features], null, targets);
        }
        int[] labels;
        if (targetText.All(t => int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
            labels = [.. targetText.Select(t => int.Parse(t, CultureInfo.InvariantCulture))];
        else
        {
            var names = targetText.Distinct().Order(StringComparer.Ordinal).ToList();
            labels = [.. targetText.Select(t => names.IndexOf(t))];
        }
        return new Dataset(name, [featureColumns.Length], [.. features], labels, null);
    }

    // RFC 4180 fields: quoted fields may hold separators and doubled quotes ("").
    private static List<string> SplitLine(string line, char separator, string path, int lineNumber)
    {
        var fields = new List<string>();
        var field = new System.Text.StringBuilder();
        bool quoted = false, wasQuoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char ch = line[i];
            if (quoted)
            {
                if (ch == '"' && i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
                else if (ch == '"') quoted = false;
                else field.Append(ch);
            }
            else if (ch == '"' && field.Length == 0 && !wasQuoted) { quoted = true; wasQuoted = true; }
            else if (ch == separator) { fields.Add(field.ToString()); field.Clear(); wasQuoted = false; }
            else field.Append(ch);
        }
        if (quoted) throw new DataFormatException(path, $"line {lineNumber}: unterminated quoted field");
        fields.Add(field.ToString());
        return fields;
    }
}
