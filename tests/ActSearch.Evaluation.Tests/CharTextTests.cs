using ActSearch.Evaluation.Data;

namespace ActSearch.Evaluation.Tests;

public class CharTextTests
{
    private static string Write(string text)
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("actsearch-text-").FullName, "t.txt");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void The_alphabet_is_newline_then_printable_ascii_and_ids_are_positions_in_it()
    {
        Assert.Equal(96, CharText.VocabularySize);
        Assert.Equal('\n', CharText.Alphabet[0]);
        Assert.Equal(' ', CharText.Alphabet[1]);
        Assert.Equal('~', CharText.Alphabet[^1]);
        Assert.Equal([34, 74, 0, 1, 95], CharText.Encode(Write("Ai\n ~")));
    }

    [Fact]
    public void Crlf_and_lf_line_ends_read_as_the_same_text()
    {
        Assert.Equal(CharText.Encode(Write("ab\ncd\n")), CharText.Encode(Write("ab\r\ncd\r\n")));
    }

    [Fact]
    public void A_character_outside_the_alphabet_is_refused_with_its_line_and_column()
    {
        string path = Write("In the beginning\nGod cr\u00e9ated");
        var e = Assert.Throws<DataFormatException>(() => CharText.Encode(path));
        Assert.Equal(path, e.FilePath);
        Assert.Contains("line 2, column 7", e.Message);
        Assert.Contains("U+00E9", e.Message);
    }

    [Fact]
    public void Windows_pair_every_position_with_the_next_character()
    {
        int[] ids = [.. Enumerable.Range(10, 11)]; // 10..20: two windows of 4 (+1), one character left over
        var d = CharText.Windows(ids, 4, "w", "w.txt");
        Assert.Equal(2, d.Count);
        Assert.Equal([4], d.FeatureShape);
        Assert.Equal(4, d.LabelsPerExample);
        Assert.Equal([10f, 11, 12, 13, 14, 15, 16, 17], d.Features);
        Assert.Equal([11, 12, 13, 14, 15, 16, 17, 18], d.Labels!);
        Assert.Equal(96, d.ClassCount);
        Assert.Equal(1, CharText.Windows(ids, 4, "w", "w.txt", maxWindows: 1).Count);

        var second = d.Select([1]);
        Assert.Equal([14f, 15, 16, 17], second.Features);
        Assert.Equal([15, 16, 17, 18], second.Labels!);

        Assert.Contains("fewer than one window", Assert.Throws<DataFormatException>(() => CharText.Windows([1, 2, 3], 4, "w", "w.txt")).Message);
    }

    [Fact]
    public void The_committed_king_james_text_gives_the_documented_windows()
    {
        var (train, heldOut) = DataSets.Kjv(64, maxHeldOut: 1000);
        Assert.Equal((366_194 - 1) / 64, train.Count);
        Assert.Equal(1000, heldOut.Count);
        Assert.All(train.Labels!, l => Assert.InRange(l, 0, 95));
        // Matthew has no character Genesis and Exodus lack: the held-out text needs no unseen symbol.
        var seen = train.Labels!.ToHashSet();
        Assert.All(heldOut.Labels!, l => Assert.Contains(l, seen));
    }
}
