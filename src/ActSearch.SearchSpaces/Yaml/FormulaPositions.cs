using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ActSearch.SearchSpaces.Yaml;

/// <summary>
/// Maps a character offset inside a scalar's value (what <see cref="ActSearch.Expressions.ExprParser"/> reports)
/// back to the line and column in the file, through quotes, escapes, folded lines and block indentation.
/// </summary>
internal static class FormulaPositions
{
    /// <summary>The file position of <c>value[offset]</c>, or null when the source cannot be aligned with the value.</summary>
    public static (long Line, long Column)? Locate(string source, YamlScalarNode node, int offset)
    {
        string value = node.Value ?? "";
        long startIndex = node.Start.Index, endIndex = node.End.Index;
        if (offset < 0 || offset > value.Length || startIndex < 0 || startIndex >= source.Length) return null;
        int start = (int)startIndex;
        int end = (int)Math.Min(Math.Max(endIndex, startIndex), source.Length);
        int j = start;
        switch (node.Style)
        {
            case ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted:
                j++;
                break;
            case ScalarStyle.Literal or ScalarStyle.Folded:
                // Content starts on the line after the '|' or '>' header.
                while (j < end && !IsBreak(source[j])) j++;
                break;
        }
        for (int k = 0; k < offset; k++)
        {
            char c = value[k];
            if (j >= end) return null;
            if (node.Style == ScalarStyle.SingleQuoted && c == '\'' && source[j] == '\'' && j + 1 < end && source[j + 1] == '\'')
            {
                j += 2;
                continue;
            }
            if (source[j] == c)
            {
                j++;
                continue;
            }
            if (node.Style == ScalarStyle.DoubleQuoted && source[j] == '\\')
            {
                j += EscapeLength(source, j);
                continue;
            }
            // Line folding and indentation: runs of white space in the source stand for at most one value character.
            if (char.IsWhiteSpace(source[j]))
            {
                while (j < end && char.IsWhiteSpace(source[j])) j++;
                if (char.IsWhiteSpace(c)) continue;
                if (j < end && source[j] == c)
                {
                    j++;
                    continue;
                }
            }
            return null;
        }
        if (offset < value.Length && !char.IsWhiteSpace(value[offset]))
            while (j < end && char.IsWhiteSpace(source[j])) j++;
        return LineColumn(source, node.Start, start, Math.Min(j, source.Length));
    }

    /// <summary>Line and column of <paramref name="target"/>, counted from a known mark.</summary>
    public static (long Line, long Column) LineColumn(string source, Mark mark, int from, int target)
    {
        long line = mark.Line, column = mark.Column;
        for (int i = from; i < target; i++)
        {
            char c = source[i];
            if (c == '\r' && i + 1 < target && source[i + 1] == '\n') continue; // CR LF is one break, counted at LF
            if (IsBreak(c))
            {
                line++;
                column = 1;
            }
            else column++;
        }
        return (line, column);
    }

    private static bool IsBreak(char c) => c is '\n' or '\r' or '\u0085' or '\u2028' or '\u2029';

    private static int EscapeLength(string s, int j)
    {
        if (j + 1 >= s.Length) return 1;
        return s[j + 1] switch
        {
            'x' => 4,
            'u' => 6,
            'U' => 10,
            _ => 2,
        };
    }
}
