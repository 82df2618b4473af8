using System.Buffers.Binary;
using System.IO.Compression;

namespace ActSearch.Evaluation.Data;

/// <summary>A malformed data file: the message names the file and what is wrong with it.</summary>
public sealed class DataFormatException(string path, string problem)
    : FormatException($"{path}: {problem}")
{
    public string FilePath { get; } = path;

    public string Problem { get; } = problem;
}

/// <summary>The contents of an IDX file of unsigned bytes: its dimensions and its values, row-major.</summary>
public sealed record IdxArray(int[] Dimensions, byte[] Data)
{
    /// <summary>Number of items (the first dimension).</summary>
    public int Count => Dimensions[0];

    /// <summary>Values per item (the product of the other dimensions).</summary>
    public int ItemLength => Dimensions.Skip(1).Aggregate(1, (a, b) => checked(a * b));
}

/// <summary>
/// Reads and writes the IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/): a big-endian
/// magic number <c>00 00 type rank</c>, <c>rank</c> big-endian int32 dimensions, then the values. Only the
/// unsigned-byte type (0x08) is supported, which is what image and label files use. Files may be gzipped
/// (recognised by their content, not their name).
/// </summary>
public static class IdxFile
{
    private const byte UnsignedByte = 0x08;

    public static IdxArray Read(string path)
    {
        byte[] raw;
        try
        {
            raw = ReadAllMaybeGzip(path);
        }
        catch (InvalidDataException e)
        {
            throw new DataFormatException(path, $"corrupt gzip stream ({e.Message})");
        }
        return Parse(raw, path);
    }

    /// <summary>Reads an IDX file and checks its rank (1 for labels, 3 for images).</summary>
    public static IdxArray Read(string path, int expectedRank)
    {
        var idx = Read(path);
        if (idx.Dimensions.Length != expectedRank)
            throw new DataFormatException(path, $"expected an IDX array of rank {expectedRank}, found rank {idx.Dimensions.Length} ({string.Join(" x ", idx.Dimensions)})");
        return idx;
    }

    internal static IdxArray Parse(ReadOnlySpan<byte> raw, string path)
    {
        if (raw.Length < 4) throw new DataFormatException(path, $"truncated: {raw.Length} bytes, too short for the 4-byte IDX magic number");
        if (raw[0] != 0 || raw[1] != 0)
            throw new DataFormatException(path, $"bad magic number 0x{BinaryPrimitives.ReadUInt32BigEndian(raw):X8}: an IDX file starts with two zero bytes");
        if (raw[2] != UnsignedByte)
            throw new DataFormatException(path, $"unsupported IDX value type 0x{raw[2]:X2}; only unsigned bytes (0x08) are supported");
        int rank = raw[3];
        if (rank < 1) throw new DataFormatException(path, "bad magic number: rank 0");
        int header = 4 + 4 * rank;
        if (raw.Length < header) throw new DataFormatException(path, $"truncated: the header needs {header} bytes for {rank} dimensions, the file has {raw.Length}");
        var dims = new int[rank];
        long length = 1;
        for (int i = 0; i < rank; i++)
        {
            int d = BinaryPrimitives.ReadInt32BigEndian(raw[(4 + 4 * i)..]);
            if (d < 0) throw new DataFormatException(path, $"dimension {i} is negative ({d})");
            dims[i] = d;
            length *= d;
            if (length > Array.MaxLength) throw new DataFormatException(path, $"dimensions {string.Join(" x ", dims.Take(i + 1))} are too large");
        }
        long actual = raw.Length - header;
        if (actual < length)
            throw new DataFormatException(path, $"truncated: dimensions {string.Join(" x ", dims)} need {length} data bytes, the file has {actual}");
        if (actual > length)
            throw new DataFormatException(path, $"{actual - length} unexpected bytes after the {length} data bytes of dimensions {string.Join(" x ", dims)}");
        return new IdxArray(dims, raw.Slice(header, (int)length).ToArray());
    }

    /// <summary>Writes an unsigned-byte IDX file, gzipped when the path ends in <c>.gz</c>.</summary>
    public static void Write(string path, IdxArray array)
    {
        long length = array.Dimensions.Aggregate(1L, (a, b) => a * b);
        if (length != array.Data.Length)
            throw new ArgumentException($"Dimensions {string.Join(" x ", array.Dimensions)} need {length} values, got {array.Data.Length}.", nameof(array));
        using var file = File.Create(path);
        using Stream output = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
            ? new GZipStream(file, CompressionLevel.SmallestSize) : file;
        Span<byte> word = stackalloc byte[4];
        word[0] = 0; word[1] = 0; word[2] = UnsignedByte; word[3] = checked((byte)array.Dimensions.Length);
        output.Write(word);
        foreach (int d in array.Dimensions)
        {
            BinaryPrimitives.WriteInt32BigEndian(word, d);
            output.Write(word);
        }
        output.Write(array.Data);
    }

    private static byte[] ReadAllMaybeGzip(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such IDX file.", path);
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < 2 || bytes[0] != 0x1f || bytes[1] != 0x8b) return bytes;
        using var gz = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
        using var plain = new MemoryStream();
        gz.CopyTo(plain);
        return plain.ToArray();
    }
}
