using ActSearch.Expressions;

namespace ActSearch.Evolution;

/// <summary>
/// A genome and the cost it was measured at (the objective as a value to minimize), or <see cref="Rejected"/> for a function a
/// rejection stage threw out. <paramref name="Warm"/>: from before the search (the catalog).
/// </summary>
public sealed record SurrogatePoint(Expr Genome, double Cost, bool Warm)
{
    /// <summary>The cost of a rejected function: a fit takes it as the worst cost among the values it is fitted on.</summary>
    public const double Rejected = double.PositiveInfinity;
}

/// <summary>
/// What the surrogate predicted for a candidate when it was bred: <paramref name="Mean"/> and <paramref name="StdDev"/> in the
/// objective's own units and direction (an accuracy as an accuracy), and whether the candidate was the one trained.
/// </summary>
public sealed record CandidatePrediction(long CandidateId, Objective Objective, double Mean, double StdDev, bool Trained);

/// <summary>What a surrogate predicts for a genome, in cost units (lower is better), and the acquisition value (higher is better).</summary>
public readonly record struct SurrogatePrediction(double Mean, double StdDev, double Acquisition);

/// <summary>
/// The engine's surrogate (<see cref="SurrogateOptions"/>): observed costs keyed by probe features, a Gaussian process over
/// the latest <see cref="SurrogateOptions.MaxObservations"/> of them, refitted lazily when asked after new observations.
/// The kernel's hyperparameters are searched on a fixed schedule of counts (<see cref="SearchPoint"/>) and reused in between
/// (one factorization per refit). Deterministic: a function of the observations and their order alone.
/// </summary>
public sealed class SurrogateModel(SurrogateOptions options)
{
    private readonly List<(SurrogatePoint Point, double[]? Features)> _points = [];
    private ISurrogateFeatures _features = ProbeFeatures.Set;
    private int _measured;
    private GaussianProcess? _gp;
    private double _best, _spread; // the lowest cost and the costs' standard deviation in the current fit
    private bool _stale;
    private int _searchedAt;
    private (double, double)? _hyper;

    public SurrogateOptions Options { get; } = options ?? throw new ArgumentNullException(nameof(options));

    /// <summary>Every observation, in order.</summary>
    public IEnumerable<SurrogatePoint> Points => _points.Select(p => p.Point);

    public int Count => _points.Count;

    /// <summary>
    /// What the model sees of a genome: the probe features unless the host sets another set (before the first prediction;
    /// features are computed when first needed, so observations told before it are not computed twice).
    /// </summary>
    public ISurrogateFeatures Features
    {
        get => _features;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            if (_gp is not null && value != _features) throw new InvalidOperationException("The surrogate's features are chosen before its first prediction.");
            _features = value;
        }
    }

    /// <summary>True once enough outcomes are observed to screen (<see cref="SurrogateOptions.MinObservations"/>, two of them values).</summary>
    public bool Ready => _points.Count >= Math.Max(2, Options.MinObservations) && _measured >= 2;

    /// <summary>
    /// Adds a measured value or a rejection (<see cref="SurrogatePoint.Rejected"/>: without them, a model that sees only
    /// trainable functions ranks the strangest children highest for their uncertainty, and they fail the numeric and
    /// stability probes). Any other non-finite cost (a NaN accuracy) is not a value to learn from and is left out.
    /// </summary>
    public void Observe(SurrogatePoint point)
    {
        ArgumentNullException.ThrowIfNull(point);
        if (!double.IsFinite(point.Cost) && point.Cost != SurrogatePoint.Rejected) return;
        _points.Add((point, null));
        if (double.IsFinite(point.Cost)) _measured++;
        _stale = true;
    }

    /// <summary>Predictions for <paramref name="genomes"/>, in their order (call only when <see cref="Ready"/>).</summary>
    public IReadOnlyList<SurrogatePrediction> Predict(IReadOnlyList<Expr> genomes)
    {
        ArgumentNullException.ThrowIfNull(genomes);
        if (!Ready) throw new InvalidOperationException($"The surrogate has {_points.Count} observations; it predicts from {Options.MinObservations}.");
        Refit();
        double xi = Options.ExplorationOrDefault;
        return [.. genomes.Select(g =>
        {
            var (mu, sd) = _gp!.Predict(_features.Of(g));
            return new SurrogatePrediction(mu, sd, Acquire(mu, sd, xi));
        })];
    }

    private double Acquire(double mu, double sd, double exploration) => Options.Acquisition switch
    {
        Acquisition.Mean => -mu,
        Acquisition.UpperConfidenceBound => -(mu - exploration * sd),
        _ => ExpectedImprovement(_best - mu - exploration * _spread, sd),
    };

    /// <summary>E[max(best - f, 0)] for f ~ N(mu, sd^2), with <paramref name="gap"/> = best - mu (- the margin).</summary>
    public static double ExpectedImprovement(double gap, double sd)
    {
        if (sd <= 0) return Math.Max(gap, 0);
        double z = gap / sd;
        double cdf = 0.5 * (1 + Kernels.Erf(z / Math.Sqrt(2)));
        double pdf = Math.Exp(-0.5 * z * z) / Math.Sqrt(2 * Math.PI);
        return gap * cdf + sd * pdf;
    }

    /// <summary>
    /// The latest <see cref="SurrogateOptions.MaxObservations"/> of the first <paramref name="count"/> observations with their
    /// features, a rejection's cost set to the worst measured cost among them (and none when no value is measured yet).
    /// </summary>
    private List<(SurrogatePoint Point, double[] Features)> Training(int count)
    {
        var window = new List<(SurrogatePoint Point, double[] Features)>();
        for (int i = Math.Max(0, count - Math.Max(2, Options.MaxObservations)); i < count; i++)
        {
            var (point, features) = _points[i];
            if (features is null) _points[i] = (point, features = _features.Of(point.Genome));
            window.Add((point, features));
        }
        var measured = window.Where(p => double.IsFinite(p.Point.Cost)).ToList();
        if (measured.Count == 0) return measured;
        double worst = measured.Max(p => p.Point.Cost);
        return [.. window.Select(p => double.IsFinite(p.Point.Cost) ? p : (p.Point with { Cost = worst }, p.Features))];
    }

    private List<(SurrogatePoint Point, double[] Features)> Training() => Training(_points.Count);


    /// <summary>
    /// The counts of observations at which the kernel's hyperparameters are searched: 2, 3, 4, 6, 9, 13, 19, 28, 42, then every
    /// 16. A fit with n observations uses those searched on the first T of them (T the largest such count up to n): a pure
    /// function of the observations, so a search resumed from a checkpoint predicts exactly as the uninterrupted one.
    /// </summary>
    public static int SearchPoint(int count)
    {
        int t = 2;
        while (true)
        {
            int next = t + Math.Clamp(t / 2, 1, 16);
            if (next > count) return t;
            t = next;
        }
    }

    private void Refit()
    {
        if (!_stale && _gp is not null) return;
        int at = SearchPoint(_points.Count);
        if (_hyper is not { } h || _searchedAt != at)
        {
            var searched = Training(at);
            if (searched.Count < 2) searched = Training(); // the schedule's point came before two values were measured
            var gp = GaussianProcess.Fit([.. searched.Select(p => p.Features)], [.. searched.Select(p => p.Point.Cost)]);
            _hyper = h = (gp.LengthScale, gp.Noise);
            _searchedAt = at;
        }
        var train = Training();
        _gp = GaussianProcess.Fit([.. train.Select(p => p.Features)], [.. train.Select(p => p.Point.Cost)], h);
        _best = train.Min(p => p.Point.Cost);
        double mean = train.Average(p => p.Point.Cost);
        _spread = Math.Sqrt(train.Sum(p => (p.Point.Cost - mean) * (p.Point.Cost - mean)) / train.Count);
        _stale = false;
    }
}
