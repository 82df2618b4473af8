using System.Text;
using System.Text.Json;

namespace ActSearch.Grains;

/// <summary>
/// What <see cref="PostgresJobStore"/> keeps of a <see cref="JobRecord"/> in the <c>jobs.details</c> JSON: the fields
/// the columns cannot say exactly. The columns hold the seed and budget the job runs with (spec override, else the
/// space's) and times to the microsecond; a loaded record must equal the saved one, so the spec's overrides as
/// submitted (null: the space's), the space's file name, the running time, the tick-exact times and when a cancel was
/// requested live here.
/// <code>{"v":1,"spaceFileName":"a.yaml","seed":7,"budgetEvaluations":48,"budgetWallTimeTicks":null,
///  "runningTimeTicks":0,"createdAtTicks":...,"startedAtTicks":...,"finishedAtTicks":null,"cancelRequestedAtTicks":null}</code>
/// Times are UTC ticks. Unknown keys are ignored, missing ones read as null (zero for the running time).
/// </summary>
internal sealed record JobDetails(
    string SpaceFileName,
    ulong? Seed,
    int? BudgetEvaluations,
    TimeSpan? BudgetWallTime,
    TimeSpan RunningTime,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    DateTimeOffset? CancelRequestedAt)
{
    private const int Version = 1;

    public static string Write(JobRecord job)
    {
        ArgumentNullException.ThrowIfNull(job);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("v", Version);
            w.WriteString("spaceFileName", job.Spec.SpaceFileName);
            if (job.Spec.Seed is { } seed) w.WriteNumber("seed", seed);
            else w.WriteNull("seed");
            if (job.Spec.BudgetEvaluations is { } n) w.WriteNumber("budgetEvaluations", n);
            else w.WriteNull("budgetEvaluations");
            Ticks(w, "budgetWallTimeTicks", job.Spec.BudgetWallTime?.Ticks);
            w.WriteNumber("runningTimeTicks", job.RunningTime.Ticks);
            Ticks(w, "createdAtTicks", job.CreatedAt.UtcTicks);
            Ticks(w, "startedAtTicks", job.StartedAt?.UtcTicks);
            Ticks(w, "finishedAtTicks", job.FinishedAt?.UtcTicks);
            Ticks(w, "cancelRequestedAtTicks", job.CancelRequestedAt?.UtcTicks);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <exception cref="FormatException">The text is not details this version can read.</exception>
    public static JobDetails Read(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new FormatException("The job's details are not a JSON object.");
            if (Get(root, "v") is { } v && v.GetInt32() > Version)
                throw new FormatException($"The job's details have version {v.GetInt32()}, newer than this ActSearch knows ({Version}).");
            return new JobDetails(
                Get(root, "spaceFileName")?.GetString() ?? "",
                Get(root, "seed")?.GetUInt64(),
                Get(root, "budgetEvaluations")?.GetInt32(),
                Get(root, "budgetWallTimeTicks") is { } wall ? TimeSpan.FromTicks(wall.GetInt64()) : null,
                Get(root, "runningTimeTicks") is { } running ? TimeSpan.FromTicks(running.GetInt64()) : TimeSpan.Zero,
                Time(root, "createdAtTicks"),
                Time(root, "startedAtTicks"),
                Time(root, "finishedAtTicks"),
                Time(root, "cancelRequestedAtTicks"));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentOutOfRangeException)
        {
            throw new FormatException($"The job's details are not readable: {e.Message}", e);
        }
    }

    private static void Ticks(Utf8JsonWriter w, string name, long? ticks)
    {
        if (ticks is { } t) w.WriteNumber(name, t);
        else w.WriteNull(name);
    }

    private static JsonElement? Get(JsonElement root, string name) =>
        root.TryGetProperty(name, out var e) && e.ValueKind != JsonValueKind.Null ? e : null;

    private static DateTimeOffset? Time(JsonElement root, string name) =>
        Get(root, name) is { } e ? new DateTimeOffset(e.GetInt64(), TimeSpan.Zero) : null;
}
