namespace ActSearch.Evaluation.Data;

/// <summary>
/// The real data sets the proxy tasks train on. By default they come from the small subsets committed under
/// the repository's <c>data/</c> folder; a host points them at another folder with the same file names (the full
/// Fashion-MNIST, say) through <see cref="UseDirectory"/> (hosts take it from <c>ACTSEARCH_DATA</c>), or a caller passes
/// the loaders' directory argument.
/// </summary>
public static class DataSets
{
    private static string? _configured;
    private static string? _fashionMnist;

    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> package puts the full set (70,000 images, the four standard files).</summary>
    public const string DebianFashionMnist = "/usr/share/datasets/fashion-mnist";

    /// <summary>The word that asks for the full Fashion-MNIST from <see cref="DebianFashionMnist"/>.</summary>
    public const string Full = "full";

    public const string FashionMnistFolder = "fashion-mnist";
    public const string BreastCancerFolder = "breast-cancer-wisconsin";

    /// <summary>The folder of scikit-learn's handwritten digits in the data folder.</summary>
    public const string DigitsFolder = "digits";

    /// <summary>The folder of the King James Version text (<c>train.txt</c>, <c>held-out.txt</c>) in the data folder.</summary>
    public const string KjvFolder = "kjv";

    /// <summary>
    /// The folder every later load without a directory argument reads (a host sets it once at start from its validated
    /// settings); null goes back to looking for the repository's <c>data/</c>.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    public static void UseDirectory(string? directory)
    {
        if (directory is { Length: > 0 } && !Directory.Exists(directory))
            throw new DirectoryNotFoundException($"The data folder '{directory}' does not exist.");
        _configured = directory is { Length: > 0 } ? directory : null;
    }

    /// <summary>
    /// Where later loads of Fashion-MNIST without a directory argument read its four IDX files: <see cref="Full"/> for
    /// Debian's full set, a folder, or null for <c>fashion-mnist/</c> in the data folder (the committed subset).
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist, or the full set is asked for and not installed.</exception>
    public static void UseFashionMnist(string? folder)
    {
        _fashionMnist = folder is { Length: > 0 } ? FashionMnistFolderFor(folder) : null;
    }

    /// <summary>The folder a Fashion-MNIST setting names (<see cref="Full"/>: Debian's), checked to exist.</summary>
    /// <exception cref="DirectoryNotFoundException">With what to install or set.</exception>
    public static string FashionMnistFolderFor(string setting)
    {
        ArgumentException.ThrowIfNullOrEmpty(setting);
        bool full = string.Equals(setting, Full, StringComparison.OrdinalIgnoreCase);
        string folder = full ? DebianFashionMnist : setting;
        if (Directory.Exists(folder)) return folder;
        throw new DirectoryNotFoundException(full
            ? $"The full Fashion-MNIST is not installed ({DebianFashionMnist} is missing): install Debian's dataset-fashion-mnist package, or name a folder holding its four IDX files."
            : $"The Fashion-MNIST folder '{folder}' does not exist.");
    }

    /// <summary>
    /// The data folder: the one <see cref="UseDirectory"/> set, else the first <c>data/</c> folder holding
    /// <c>fashion-mnist/</c> found walking up from the application folder (a build output inside the repository),
    /// then from the current directory.
    /// </summary>
    public static string DefaultDirectory()
    {
        if (_configured is { } configured) return configured;
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "data");
                if (Directory.Exists(Path.Combine(candidate, FashionMnistFolder))) return candidate;
            }
        throw new DirectoryNotFoundException(
            $"No data folder found: set ACTSEARCH_DATA to a folder holding {FashionMnistFolder}/ and {BreastCancerFolder}/.");
    }

    /// <summary>
    /// Fashion-MNIST from a folder with the four standard file names (gzipped or plain): 28x28 grey images as
    /// [1, 28, 28] floats scaled to [0, 1], ten classes. Without a directory: the folder <see cref="UseFashionMnist"/> set,
    /// else <c>fashion-mnist/</c> in the data folder.
    /// </summary>
    public static (Dataset Train, Dataset Test) FashionMnist(string? directory = null)
    {
        string dir = directory is null && _fashionMnist is { } chosen ? chosen : Path.Combine(directory ?? DefaultDirectory(), FashionMnistFolder);
        return FashionMnistIn(dir);
    }

    /// <summary>Fashion-MNIST from the folder holding its four IDX files itself (Debian's <see cref="DebianFashionMnist"/>, say).</summary>
    public static (Dataset Train, Dataset Test) FashionMnistIn(string folder) =>
        (LoadIdxPair(folder, "train", "fashion-mnist/train"), LoadIdxPair(folder, "t10k", "fashion-mnist/test"));

    /// <summary>Loads <c>{prefix}-images-idx3-ubyte[.gz]</c> with <c>{prefix}-labels-idx1-ubyte[.gz]</c> as an image data set.</summary>
    public static Dataset LoadIdxPair(string directory, string prefix, string name)
    {
        string images = Resolve(directory, $"{prefix}-images-idx3-ubyte"), labels = Resolve(directory, $"{prefix}-labels-idx1-ubyte");
        return FromIdx(IdxFile.Read(images, 3), images, IdxFile.Read(labels, 1), labels, name);
    }

    /// <summary>Pairs an image array with a label array (same count) into a data set of [1, H, W] floats in [0, 1].</summary>
    public static Dataset FromIdx(IdxArray images, string imagesPath, IdxArray labels, string labelsPath, string name)
    {
        if (images.Count != labels.Count)
            throw new DataFormatException(labelsPath, $"{labels.Count} labels for the {images.Count} images of {imagesPath}");
        var features = new float[images.Data.Length];
        for (int i = 0; i < features.Length; i++) features[i] = images.Data[i] / 255f;
        int[] y = [.. labels.Data.Select(b => (int)b)];
        int classes = y.Length == 0 ? 0 : y.Max() + 1;
        return new Dataset(name, [1, images.Dimensions[1], images.Dimensions[2]], features, y, null, Math.Max(classes, 10));
    }

    /// <summary>The Breast Cancer Wisconsin (Diagnostic) table: 569 rows, 30 numeric features, target 0 = malignant, 1 = benign.</summary>
    public static Dataset BreastCancer(string? directory = null) =>
        CsvTable.Load(Path.Combine(directory ?? DefaultDirectory(), BreastCancerFolder, "wdbc.csv"),
            new CsvOptions { TargetColumn = "target" }, "breast-cancer-wisconsin");

    /// <summary>
    /// The handwritten digits of scikit-learn's <c>load_digits</c> (UCI's Optical Recognition of Handwritten Digits, test
    /// part): 1,797 rows, 64 pixel counts 0-16 (an 8x8 image row by row), target the digit 0-9.
    /// </summary>
    public static Dataset Digits(string? directory = null) =>
        CsvTable.Load(Path.Combine(directory ?? DefaultDirectory(), DigitsFolder, "digits.csv"), new CsvOptions { TargetColumn = "target" }, "digits");

    /// <summary>
    /// The King James Version text as next-character windows of <paramref name="context"/> characters: training windows
    /// from <c>kjv/train.txt</c>, held-out windows from <c>kjv/held-out.txt</c> (at most <paramref name="maxHeldOut"/>).
    /// </summary>
    public static (Dataset Train, Dataset HeldOut) Kjv(int context, int maxHeldOut = int.MaxValue, string? directory = null)
    {
        string folder = Path.Combine(directory ?? DefaultDirectory(), KjvFolder);
        string train = Path.Combine(folder, "train.txt"), heldOut = Path.Combine(folder, "held-out.txt");
        return (CharText.Windows(CharText.Encode(train), context, "kjv/train", train),
            CharText.Windows(CharText.Encode(heldOut), context, "kjv/held-out", heldOut, maxHeldOut));
    }

    private static string Resolve(string directory, string baseName)
    {
        foreach (var candidate in new[] { baseName + ".gz", baseName })
        {
            string path = Path.Combine(directory, candidate);
            if (File.Exists(path)) return path;
        }
        throw new FileNotFoundException($"{Path.Combine(directory, baseName)}[.gz]: no such IDX file.", Path.Combine(directory, baseName));
    }
}

/// <summary>
/// Cuts the committed Fashion-MNIST subset out of the full data set (data/fashion-mnist/README.md describes the
/// procedure; a test regenerates it from Debian's <c>dataset-fashion-mnist</c> and compares).
/// </summary>
public static class FashionMnistSubset
{
    public const int TrainPerClass = 600;
    public const int TestPerClass = 100;
    public const ulong TrainSeed = 20240601;
    public const ulong TestSeed = 20240602;

    /// <summary>Chooses the subset of one part of the full set and returns (images, labels) as IDX arrays.</summary>
    public static (IdxArray Images, IdxArray Labels) Cut(IdxArray images, IdxArray labels, int perClass, ulong seed)
    {
        int[] y = [.. labels.Data.Select(b => (int)b)];
        int[] chosen = Splits.BalancedSubset(y, 10, perClass, seed);
        int item = images.ItemLength;
        var data = new byte[chosen.Length * item];
        for (int i = 0; i < chosen.Length; i++) images.Data.AsSpan(chosen[i] * item, item).CopyTo(data.AsSpan(i * item));
        int[] dims = [.. images.Dimensions];
        dims[0] = chosen.Length;
        return (new IdxArray(dims, data), new IdxArray([chosen.Length], [.. chosen.Select(i => labels.Data[i])]));
    }

    /// <summary>Writes the subset of the full set in <paramref name="sourceDirectory"/> into <paramref name="destination"/> (gzipped IDX).</summary>
    public static void Write(string sourceDirectory, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var (prefix, perClass, seed) in new[] { ("train", TrainPerClass, TrainSeed), ("t10k", TestPerClass, TestSeed) })
        {
            var (images, labels) = Cut(
                IdxFile.Read(Path.Combine(sourceDirectory, $"{prefix}-images-idx3-ubyte.gz"), 3),
                IdxFile.Read(Path.Combine(sourceDirectory, $"{prefix}-labels-idx1-ubyte.gz"), 1), perClass, seed);
            IdxFile.Write(Path.Combine(destination, $"{prefix}-images-idx3-ubyte.gz"), images);
            IdxFile.Write(Path.Combine(destination, $"{prefix}-labels-idx1-ubyte.gz"), labels);
        }
    }
}
