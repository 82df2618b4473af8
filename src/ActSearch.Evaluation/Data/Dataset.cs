namespace ActSearch.Evaluation.Data;

/// <summary>
/// An in-memory supervised data set: <see cref="Count"/> examples of <see cref="FeatureShape"/> features
/// (row-major floats) with either class labels (classification) or real targets (regression). A sequence data set
/// (next-character prediction) has <see cref="LabelsPerExample"/> labels per example, one per position.
/// Immutable by convention: operations return new data sets.
/// </summary>
public sealed class Dataset
{
    public Dataset(string name, int[] featureShape, float[] features, int[]? labels, float[]? targets, int classCount = 0, int labelsPerExample = 1)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (featureShape.Length == 0 || featureShape.Any(d => d <= 0))
            throw new ArgumentException($"Feature shape ({string.Join(", ", featureShape)}) must have positive dimensions.", nameof(featureShape));
        if ((labels is null) == (targets is null))
            throw new ArgumentException("A data set has either class labels or real targets.");
        ArgumentOutOfRangeException.ThrowIfLessThan(labelsPerExample, 1);
        if (targets is not null && labelsPerExample != 1) throw new ArgumentException("Real targets are one per example.", nameof(labelsPerExample));
        if (labels is not null && labels.Length % labelsPerExample != 0)
            throw new ArgumentException($"{labels.Length} labels are not a whole number of examples of {labelsPerExample}.", nameof(labels));
        int itemLength = featureShape.Aggregate(1, (a, b) => checked(a * b));
        int count = labels is null ? targets!.Length : labels.Length / labelsPerExample;
        if (features.Length != (long)count * itemLength)
            throw new ArgumentException($"{count} examples of {itemLength} features need {(long)count * itemLength} values, got {features.Length}.", nameof(features));
        if (labels is not null)
        {
            if (classCount <= 0) classCount = labels.Length == 0 ? 0 : labels.Max() + 1;
            foreach (int l in labels)
                if (l < 0 || l >= classCount) throw new ArgumentException($"Label {l} is outside 0..{classCount - 1}.", nameof(labels));
        }
        Name = name;
        FeatureShape = featureShape;
        Features = features;
        Labels = labels;
        Targets = targets;
        ClassCount = labels is null ? 0 : classCount;
        LabelsPerExample = labelsPerExample;
        Count = count;
        ItemLength = itemLength;
    }

    public string Name { get; }

    /// <summary>Shape of one example: <c>[C, H, W]</c> for images, <c>[F]</c> for tabular rows.</summary>
    public int[] FeatureShape { get; }

    /// <summary>All features, example after example.</summary>
    public float[] Features { get; }

    /// <summary>
    /// Class labels in 0..<see cref="ClassCount"/>-1 (classification), <see cref="LabelsPerExample"/> per example, or null.
    /// </summary>
    public int[]? Labels { get; }

    /// <summary>Real targets (regression), or null.</summary>
    public float[]? Targets { get; }

    public int ClassCount { get; }

    /// <summary>Labels per example: 1, or the sequence length of a next-token data set.</summary>
    public int LabelsPerExample { get; }

    public int Count { get; }

    /// <summary>Features per example.</summary>
    public int ItemLength { get; }

    public bool IsClassification => Labels is not null;

    public ReadOnlySpan<float> FeaturesOf(int index) => Features.AsSpan(index * ItemLength, ItemLength);

    /// <summary>The examples at <paramref name="indices"/>, in that order.</summary>
    public Dataset Select(IReadOnlyList<int> indices, string? name = null)
    {
        var features = new float[(long)indices.Count * ItemLength];
        for (int i = 0; i < indices.Count; i++)
            FeaturesOf(indices[i]).CopyTo(features.AsSpan(i * ItemLength, ItemLength));
        return new Dataset(name ?? Name, FeatureShape, features,
            Labels is null ? null : [.. indices.SelectMany(i => Labels.AsSpan(i * LabelsPerExample, LabelsPerExample).ToArray())],
            Targets is null ? null : [.. indices.Select(i => Targets[i])], ClassCount, LabelsPerExample);
    }

    /// <summary>Per-feature mean and standard deviation (population), for standardizing with training statistics.</summary>
    public (float[] Mean, float[] Std) FeatureStatistics()
    {
        var mean = new double[ItemLength];
        var sq = new double[ItemLength];
        for (int i = 0; i < Count; i++)
        {
            var row = FeaturesOf(i);
            for (int j = 0; j < ItemLength; j++) mean[j] += row[j];
        }
        for (int j = 0; j < ItemLength; j++) mean[j] /= Math.Max(Count, 1);
        for (int i = 0; i < Count; i++)
        {
            var row = FeaturesOf(i);
            for (int j = 0; j < ItemLength; j++) sq[j] += (row[j] - mean[j]) * (row[j] - mean[j]);
        }
        return ([.. mean.Select(m => (float)m)], [.. sq.Select(s => (float)Math.Sqrt(s / Math.Max(Count, 1)))]);
    }

    /// <summary>(x - mean) / std per feature; features with zero spread are only centred.</summary>
    public Dataset Standardized(float[] mean, float[] std)
    {
        if (mean.Length != ItemLength || std.Length != ItemLength)
            throw new ArgumentException($"Statistics must have {ItemLength} entries.");
        var features = new float[Features.Length];
        for (int i = 0; i < Count; i++)
            for (int j = 0; j < ItemLength; j++)
            {
                int k = i * ItemLength + j;
                features[k] = (Features[k] - mean[j]) / (std[j] > 0 ? std[j] : 1);
            }
        return new Dataset(Name, FeatureShape, features, Labels, Targets, ClassCount, LabelsPerExample);
    }

    /// <summary>Number of labels per class (classification only; every position of a sequence counts).</summary>
    public int[] ClassCounts()
    {
        var counts = new int[ClassCount];
        foreach (int l in Labels ?? throw new InvalidOperationException($"{Name} has no class labels.")) counts[l]++;
        return counts;
    }

    public override string ToString() =>
        $"{Name}: {Count} x ({string.Join(", ", FeatureShape)})" + (IsClassification ? $", {ClassCount} classes" : ", real targets");
}
