using System.IO.Compression;
using ActSearch.Evaluation.Data;

namespace ActSearch.Evaluation.Tests;

public sealed class IdxFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("actsearch-idx-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private static byte[] Header(byte type, params int[] dims)
    {
        var bytes = new List<byte> { 0, 0, type, (byte)dims.Length };
        foreach (int d in dims) bytes.AddRange([(byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d]);
        return [.. bytes];
    }

    [Theory]
    [InlineData("images.idx")]
    [InlineData("images.idx.gz")]
    public void Written_files_read_back_plain_or_gzipped(string name)
    {
        var array = new IdxArray([3, 2, 2], [.. Enumerable.Range(0, 12).Select(i => (byte)(i * 20))]);
        IdxFile.Write(PathOf(name), array);
        var back = IdxFile.Read(PathOf(name), 3);
        Assert.Equal(array.Dimensions, back.Dimensions);
        Assert.Equal(array.Data, back.Data);
        Assert.Equal(4, back.ItemLength);
    }

    [Fact]
    public void Gzip_is_recognised_by_content_not_name()
    {
        byte[] raw = [.. Header(8, 2), 7, 9];
        using (var gz = new GZipStream(File.Create(PathOf("labels.bin")), CompressionLevel.Fastest)) gz.Write(raw);
        Assert.Equal([7, 9], IdxFile.Read(PathOf("labels.bin"), 1).Data);
    }

    [Fact]
    public void Bad_magic_names_the_file_and_the_magic()
    {
        File.WriteAllBytes(PathOf("bad.idx"), [0x50, 0x4B, 3, 4, 0, 0, 0, 0]);
        var e = Assert.Throws<DataFormatException>(() => IdxFile.Read(PathOf("bad.idx")));
        Assert.Contains("bad.idx", e.Message);
        Assert.Contains("bad magic number 0x504B0304", e.Message);
    }

    [Fact]
    public void Truncated_data_says_how_many_bytes_are_missing()
    {
        File.WriteAllBytes(PathOf("short.idx"), [.. Header(8, 2, 3), 1, 2, 3, 4]);
        var e = Assert.Throws<DataFormatException>(() => IdxFile.Read(PathOf("short.idx")));
        Assert.Equal(PathOf("short.idx"), e.FilePath);
        Assert.Contains("truncated", e.Message);
        Assert.Contains("need 6 data bytes, the file has 4", e.Message);
    }

    [Fact]
    public void Truncated_header_is_reported()
    {
        File.WriteAllBytes(PathOf("header.idx"), [0, 0, 8, 3, 0, 0, 0, 5]);
        var e = Assert.Throws<DataFormatException>(() => IdxFile.Read(PathOf("header.idx")));
        Assert.Contains("truncated: the header needs 16 bytes", e.Message);
    }

    [Fact]
    public void Empty_file_is_reported_as_truncated()
    {
        File.WriteAllBytes(PathOf("empty.idx"), []);
        Assert.Contains("truncated", Assert.Throws<DataFormatException>(() => IdxFile.Read(PathOf("empty.idx"))).Message);
    }

    [Fact]
    public void Trailing_bytes_are_an_error()
    {
        File.WriteAllBytes(PathOf("long.idx"), [.. Header(8, 1), 1, 2]);
        Assert.Contains("1 unexpected bytes", Assert.Throws<DataFormatException>(() => IdxFile.Read(PathOf("long.idx"))).Message);
    }

    [Fact]
    public void Non_byte_value_types_are_refused()
    {
        File.WriteAllBytes(PathOf("floats.idx"), [.. Header(0x0D, 1), 0, 0, 0, 0]);
        Assert.Contains("unsupported IDX value type 0x0D", Assert.Throws<DataFormatException>(() => IdxFile.Read(PathOf("floats.idx"))).Message);
    }

    [Fact]
    public void Wrong_rank_is_reported()
    {
        File.WriteAllBytes(PathOf("labels.idx"), [.. Header(8, 2), 1, 2]);
        Assert.Contains("expected an IDX array of rank 3, found rank 1",
            Assert.Throws<DataFormatException>(() => IdxFile.Read(PathOf("labels.idx"), 3)).Message);
    }

    [Fact]
    public void Corrupt_gzip_is_reported_with_the_file()
    {
        File.WriteAllBytes(PathOf("broken.gz"), [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff]);
        var e = Assert.Throws<DataFormatException>(() => IdxFile.Read(PathOf("broken.gz")));
        Assert.Contains("broken.gz", e.Message);
    }

    [Fact]
    public void Image_and_label_counts_must_agree()
    {
        IdxFile.Write(PathOf("x-images-idx3-ubyte"), new IdxArray([2, 1, 1], [0, 255]));
        IdxFile.Write(PathOf("x-labels-idx1-ubyte.gz"), new IdxArray([3], [0, 1, 2]));
        var e = Assert.Throws<DataFormatException>(() => DataSets.LoadIdxPair(_dir, "x", "x"));
        Assert.Contains("3 labels for the 2 images", e.Message);
    }

    [Fact]
    public void Missing_file_names_the_path()
    {
        var e = Assert.Throws<FileNotFoundException>(() => DataSets.LoadIdxPair(_dir, "none", "none"));
        Assert.Contains("none-images-idx3-ubyte", e.Message);
    }
}
