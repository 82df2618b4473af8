namespace ActSearch.Evaluation.Data;

/// <summary>
/// Character-level text for next-character prediction. The alphabet is fixed (newline and the 95 printable ASCII
/// characters), so a model's vocabulary does not depend on which text it reads; another character is refused with its
/// file, line and column. A text becomes a data set of non-overlapping windows: <see cref="Dataset.FeatureShape"/>
/// <c>[context]</c> character ids (as floats) and, per example, the <c>context</c> ids that follow each position.
/// </summary>
public static class CharText
{
    /// <summary>Newline, then space to tilde: id = index in this string.</summary>
    public static string Alphabet { get; } = "\n" + new string([.. Enumerable.Range(32, 95).Select(c => (char)c)]);

    public static int VocabularySize => Alphabet.Length;

    /// <summary>The character ids of a text file (UTF-8; carriage returns before newlines are dropped).</summary>
    /// <exception cref="DataFormatException">A character outside the alphabet, with its line and column.</exception>
    public static int[] Encode(string path)
    {
        string text = File.ReadAllText(path);
        var ids = new List<int>(text.Length);
        int line = 1, column = 1;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') continue;
            int id = c == '\n' ? 0 : c is >= ' ' and <= '~' ? c - ' ' + 1 : -1;
            if (id < 0)
                throw new DataFormatException(path, $"line {line}, column {column}: character U+{(int)c:X4} is outside the alphabet (newline and printable ASCII)");
            ids.Add(id);
            (line, column) = c == '\n' ? (line + 1, 1) : (line, column + 1);
        }
        return [.. ids];
    }

    /// <summary>
    /// Non-overlapping windows of <paramref name="context"/> + 1 characters: the first <paramref name="context"/> are
    /// the input, the last <paramref name="context"/> the targets (the next character at every position). At most
    /// <paramref name="maxWindows"/> windows, from the start of the text.
    /// </summary>
    /// <exception cref="DataFormatException">The text is shorter than one window.</exception>
    public static Dataset Windows(int[] ids, int context, string name, string path, int maxWindows = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(context, 1);
        int count = Math.Min((ids.Length - 1) / context, maxWindows);
        if (count < 1) throw new DataFormatException(path, $"{ids.Length} characters are fewer than one window of {context + 1}");
        var features = new float[count * context];
        var labels = new int[count * context];
        for (int w = 0; w < count; w++)
            for (int t = 0; t < context; t++)
            {
                features[w * context + t] = ids[w * context + t];
                labels[w * context + t] = ids[w * context + t + 1];
            }
        return new Dataset(name, [context], features, labels, null, VocabularySize, context);
    }
}
