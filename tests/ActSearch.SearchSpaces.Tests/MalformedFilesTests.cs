using System.Diagnostics;
using System.Text;

namespace ActSearch.SearchSpaces.Tests;

/// <summary>
/// The loader never crashes on garbage: random mutations of the shipped files either load or give errors
/// that all carry a position inside the file. The seed is pinned, so a failure reproduces.
/// </summary>
public sealed class MalformedFilesTests
{
    private const string Special = ":-[]{}&*!|>'\"%@#,?~\\\t ";

    [Fact]
    public void Ten_thousand_malformed_files_each_load_or_report_positioned_errors()
    {
        var originals = SearchSpaceLoader.ListEmbedded().Select(n => (Name: n + ".yaml", Text: SearchSpaceLoader.GetEmbeddedText(n))).ToArray();
        var rng = new Random(20_200_407);
        int loaded = 0, rejected = 0;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 10_000; i++)
        {
            var (name, original) = originals[rng.Next(originals.Length)];
            string text = original;
            int mutations = 1 + rng.Next(3);
            for (int m = 0; m < mutations; m++) text = Mutate(rng, text);

            bool ok;
            SearchSpace? space;
            IReadOnlyList<SearchSpaceError> errors;
            try
            {
                ok = SearchSpaceLoader.TryLoadFromText(text, name, out space, out errors);
            }
            catch (Exception e)
            {
                Assert.Fail($"case {i} threw {e}\n--- input ---\n{text}");
                return;
            }
            if (ok)
            {
                Assert.NotNull(space);
                Assert.Empty(errors);
                loaded++;
                continue;
            }
            rejected++;
            Assert.NotEmpty(errors);
            int lines = 1 + text.Count(c => c == '\n') + text.Count(c => c is '\r' or '\u0085' or '\u2028' or '\u2029');
            foreach (var e in errors)
            {
                Assert.True(e.Line >= 1 && e.Column >= 1 && e.Line <= lines + 1, $"case {i}: {e} (file has {lines} lines)\n--- input ---\n{text}");
                Assert.Equal(name, e.File);
                Assert.False(string.IsNullOrWhiteSpace(e.Message), $"case {i}: empty message");
            }
        }
        // Both outcomes must occur, or the mutations test nothing.
        Assert.True(loaded > 200 && rejected > 2000, $"loaded {loaded}, rejected {rejected}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
    }

    private static string Mutate(Random rng, string text)
    {
        var lines = text.Split('\n').ToList();
        switch (rng.Next(9))
        {
            case 0: // delete a line
                if (lines.Count > 1) lines.RemoveAt(rng.Next(lines.Count));
                return string.Join('\n', lines);
            case 1: // duplicate a line
            {
                int at = rng.Next(lines.Count);
                lines.Insert(at, lines[at]);
                return string.Join('\n', lines);
            }
            case 2: // swap two lines
            {
                int a = rng.Next(lines.Count), b = rng.Next(lines.Count);
                (lines[a], lines[b]) = (lines[b], lines[a]);
                return string.Join('\n', lines);
            }
            case 3: // wrong indentation
            {
                int at = rng.Next(lines.Count);
                lines[at] = rng.Next(3) switch
                {
                    0 => new string(' ', 1 + rng.Next(4)) + lines[at],
                    1 => lines[at].TrimStart(),
                    _ => "\t" + lines[at],
                };
                return string.Join('\n', lines);
            }
            case 4: // truncate
                return text[..rng.Next(text.Length + 1)];
            case 5: // YAML punctuation inserted
            {
                var sb = new StringBuilder(text);
                for (int k = 0, n = 1 + rng.Next(4); k < n; k++) sb.Insert(rng.Next(sb.Length + 1), Special[rng.Next(Special.Length)]);
                return sb.ToString();
            }
            case 6: // random bytes, read as Latin-1
            {
                var chars = text.ToCharArray();
                for (int k = 0, n = 1 + rng.Next(6); k < n && chars.Length > 0; k++) chars[rng.Next(chars.Length)] = (char)rng.Next(256);
                return new string(chars);
            }
            case 7: // random UTF-16 units, lone surrogates included
            {
                var chars = text.ToCharArray();
                for (int k = 0, n = 1 + rng.Next(3); k < n && chars.Length > 0; k++) chars[rng.Next(chars.Length)] = (char)rng.Next(65536);
                return new string(chars);
            }
            default: // a value replaced by another line's value, or by a random word
            {
                int at = rng.Next(lines.Count);
                int colon = lines[at].IndexOf(": ", StringComparison.Ordinal);
                if (colon < 0) return text;
                string other = lines[rng.Next(lines.Count)];
                int otherColon = other.IndexOf(": ", StringComparison.Ordinal);
                string value = rng.Next(2) == 0 && otherColon >= 0 ? other[(otherColon + 2)..] : RandomWord(rng);
                lines[at] = lines[at][..(colon + 2)] + value;
                return string.Join('\n', lines);
            }
        }
    }

    private static string RandomWord(Random rng)
    {
        string[] words = ["0", "-1", "1e400", "true", "nan", "[]", "{}", "~", "\"\"", "x * (", "2h", "tanhh", "999999999999", "layer", "[tanh, 3]"];
        return words[rng.Next(words.Length)];
    }
}
