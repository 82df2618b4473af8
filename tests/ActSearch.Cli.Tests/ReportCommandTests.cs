using System.Diagnostics;
using System.Text.RegularExpressions;
using ActSearch.Storage.Tests;
using ActSearch.Evaluation.Torch.HeldOut;

namespace ActSearch.Cli.Tests;

/// <summary>
/// A finished job from a real `actsearch run` (child process, fresh database in ACTSEARCH_TEST_DB or an embedded
/// server, real TorchSharp training), shared by the report tests below. Its name is an HTML injection attempt.
/// </summary>
public sealed class FinishedJob : IAsyncLifetime
{
    public const string JobName = "<script>alert('x')</script> & co";

    private const string Space = """
        name: report-test
        kind: activation
        seed: 7
        tasks: [fmnist-mlp]
        objectives: [accuracy@fmnist-mlp, complexity]
        genome:
          representation: core_unit
          unary: [neg, abs, square, exp, tanh, sigmoid, relu, sin]
          binary: [add, sub, mul, max, min]
        evolution:
          mode: generational        # one seed, one search: the report's verdicts below depend on which functions it found
          strategy: regularized
          population: 4
          tournament: 2
          offspring_per_generation: 2
        rejection:
          quality: { steps: 20, min_accuracy: 0.15 }
        budget:
          evaluations: 6
        seeds:
          - name: relu
            formula: relu(x)
        """;

    private readonly PostgresServer _server = new();
    private TestDatabase? _db;

    public string Home { get; } = Path.Combine(Path.GetTempPath(), $"actsearch-report-{Guid.NewGuid():N}");

    public string Database => _db!.ConnectionString;

    public Guid JobId { get; private set; }

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Home);
        await _server.InitializeAsync();
        _db = await _server.CreateDatabaseAsync();
        File.WriteAllText(Path.Combine(Home, "space.yaml"), Space);
        var run = Run("run", Path.Combine(Home, "space.yaml"), "--slots", "2", "--name", JobName);
        Assert.True(run.Code == 0, run.Output);
        JobId = Guid.Parse(Regex.Match(run.Output, @"^job ([0-9a-f-]{36}):", RegexOptions.Multiline).Groups[1].Value);
    }

    public async Task DisposeAsync()
    {
        if (_db is not null) await _db.DisposeAsync();
        await _server.DisposeAsync();
        try { Directory.Delete(Home, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>The real executable with this job's database, on the CPU.</summary>
    public (int Code, string Output) Run(params string[] args) => RunWith(Database, args);

    public (int Code, string Output) RunWith(string database, params string[] args)
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "actsearch.dll");
        var psi = new ProcessStartInfo("dotnet", [cli, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Home,
        };
        psi.Environment["ACTSEARCH_HOME"] = Home;
        psi.Environment["ACTSEARCH_DB"] = database;
        psi.Environment["ACTSEARCH_DEVICE"] = "cpu";
        psi.Environment["ACTSEARCH_SLOTS"] = "2";
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"actsearch {string.Join(' ', args)} did not finish in 3 minutes:\n{stdout}");
        }
        return (p.ExitCode, stdout + stderr.Result);
    }
}

/// <summary>`actsearch report` on a finished job, as a user runs it after `actsearch run`.</summary>
public class ReportCommandTests(FinishedJob job) : IClassFixture<FinishedJob>
{
    private static readonly string[] Baselines = ["relu", "gelu", "silu", "mish", "elu", "selu", "tanh"];

    [Fact]
    public void Html_report_has_the_front_the_funnel_the_curves_and_a_held_out_table_with_p_values()
    {
        string file = Path.Combine(job.Home, "report.html");
        string prefix = job.JobId.ToString("N")[..8];
        var result = job.Run("report", prefix, "--top", "1", "--seeds", "2", "--heldout-task", "tabular-mlp", "--steps", "20", "--out", file);
        Assert.True(result.Code == 0, result.Output);
        Assert.Contains($"report of job {job.JobId} written to {file}", result.Output);
        Assert.Matches(@"tabular-mlp: #\d+ is (NOT |significantly )", result.Output);

        string html = File.ReadAllText(file);
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co", html);
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org/2000/svg", "", StringComparison.Ordinal), StringComparison.Ordinal);   // self-contained

        // The front: a scatter with the front's members.
        Assert.Contains("<title>front: accuracy@fmnist-mlp against complexity</title>", html);
        Assert.Contains("class=\"front\"", html);
        // The funnel: one row per stage of the chain, in order, then the trained survivors.
        var stages = Regex.Matches(html, "<tr class=\"stage\"><td>([a-z]+)</td>").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(["static", "numeric", "duplicate", "stability", "quality", "trained"], stages);
        Assert.Contains("share of proposed", html);
        // The best function's curve drawn by SvgPlot, and the generation history.
        Assert.Matches("<figure><svg [^>]*role=\"img\"><title>", html);
        Assert.Contains("<title>generation history</title>", html);

        // The held-out table: the found function and all seven baselines as mean ± std with the 95% interval, and the test against the best one.
        var table = Regex.Match(html, "<h3>tabular-mlp</h3>\\s*<table class=\"heldout\">(.*?)</table>", RegexOptions.Singleline);
        Assert.True(table.Success, "no held-out table for tabular-mlp");
        foreach (string b in Baselines) Assert.Contains($"<tr><td>{b}</td>", table.Groups[1].Value);
        Assert.Matches(@"<tr><td>#\d+</td><td>found</td><td class=""n"">\d+\.\d\d ± \d+\.\d\d%</td><td class=""n"">± \d+\.\d\d%</td><td class=""n"">2</td>", table.Groups[1].Value);
        Assert.Matches(@"<td class=""n"">(0\.\d+|1|&lt; 0\.0001|n/a)</td><td>(significantly better|not significantly better|no difference|worse \(not significant\)|significantly worse|no test)</td>", table.Groups[1].Value);
        Assert.Contains("baseline (best)", table.Groups[1].Value);
        Assert.Contains("class=\"verdict", html);
        Assert.False(File.Exists(file + ".tmp"));
        Assert.Empty(Directory.GetFiles(job.Home, ".report.html.*"));
    }

    [Fact]
    public async Task Markdown_report_has_the_same_sections_as_tables_and_the_evaluation_is_kept_with_the_job()
    {
        string file = Path.Combine(job.Home, "report.md");
        var result = job.Run("report", job.JobId.ToString(), "--format", "md", "--top", "1", "--seeds", "2", "--heldout-task", "tabular-mlp", "--steps", "20", "--out", file);
        Assert.True(result.Code == 0, result.Output);
        string md = File.ReadAllText(file);
        Assert.StartsWith("# ActSearch report: &lt;script&gt;", md);
        Assert.DoesNotContain("<script", md, StringComparison.OrdinalIgnoreCase);
        foreach (string section in new[] { "## Verdict on held-out tasks", "## Front", "## Best functions", "## Rejection funnel", "## Generation history", "## Held-out evaluation", "### tabular-mlp" })
            Assert.Contains(section, md);
        Assert.Contains("| numeric |", md);
        Assert.Contains("| trained |", md);
        foreach (string b in Baselines) Assert.Contains($"| {b} | baseline", md);
        Assert.Matches(@"\| #\d+ \| found \| \d+\.\d\d ± \d+\.\d\d% \| ± \d+\.\d\d% \| 2 \| default \|", md);
        Assert.Contains("| 0 | 1 | `relu(x)` |", md); // its cost: no learnable number, one operation per element
        Assert.Contains("### Transfer across held-out tasks", md);

        // The evaluation is kept with the job (schema 8), in the API's shape, for the web UI's job page.
        await using var storage = await ActSearch.Storage.ActSearchStorage.OpenAsync(new ActSearch.Storage.StorageOptions { ConnectionString = job.Database });
        var stored = await storage.HeldOut.GetAsync(job.JobId);
        Assert.NotNull(stored);
        Assert.Equal("standard", stored.Protocol);
        var view = System.Text.Json.JsonSerializer.Deserialize<ActSearch.Api.HeldOutView>(stored.DocumentJson, ActSearch.Api.HeldOutView.Json)!;
        var task = Assert.Single(view.Tasks);
        Assert.Equal(("tabular-mlp", "accuracy", 2), (task.Task, task.Metric, view.Seeds));
        Assert.Contains(task.Rows, r => !r.Baseline && r.Verdict is not null && r.P is not null);
        Assert.Equal(Baselines.Length + 1, task.Rows.Count);
        Assert.Contains(view.Notes!, n => n.StartsWith("Every run trained for 20 steps (--steps)", StringComparison.Ordinal)); // the report's caveats too // the seven standard baselines fit tabular-mlp; glu and bilinear only gated tasks
        Assert.Matches(@"\| #\d+ \| [01] \| [01] \| [01] \| (transfers|does not transfer|below the bar \(2 wins, no loss\)) \|", md);
    }

    [Fact]
    public void A_search_task_named_as_held_out_is_flagged_as_not_a_held_out_result()
    {
        string file = Path.Combine(job.Home, "search-task.md");
        var result = job.Run("report", job.JobId.ToString(), "--format", "md", "--top", "1", "--seeds", "2", "--heldout-task", "fmnist-mlp", "--steps", "10", "--out", file);
        Assert.True(result.Code == 0, result.Output);
        Assert.Contains("fmnist-mlp was a task of the search: the functions were selected there, so its rows are NOT a held-out result", File.ReadAllText(file));
    }

    [Fact]
    public void A_seed_of_the_space_is_labelled_as_one_and_nothing_else_is()
    {
        string file = Path.Combine(job.Home, "seeds.md");
        var result = job.Run("report", job.JobId.ToString(), "--format", "md", "--top", "20", "--no-heldout", "--out", file);
        Assert.True(result.Code == 0, result.Output);
        string md = File.ReadAllText(file);
        Assert.Matches(@"\| #0 \(seed\) \| 0 \| [0-9.]+ \| 2 \| `relu\(x\)` \|", md);
        Assert.DoesNotMatch(@"#[1-9][0-9]* \(seed\)", md);
    }

    [Fact]
    public void Without_held_out_evaluation_the_report_says_nothing_is_claimed_and_trains_nothing()
    {
        string file = Path.Combine(job.Home, "plain.html");
        var result = job.Run("report", job.JobId.ToString(), "--no-heldout", "--out", file);
        Assert.True(result.Code == 0, result.Output);
        Assert.DoesNotContain("held-out evaluation:", result.Output);
        Assert.Contains("No held-out evaluation was run (--no-heldout)", File.ReadAllText(file));
    }

    [Fact]
    public void An_unknown_job_or_a_bad_option_exits_2_with_one_line()
    {
        var unknown = job.Run("report", Guid.NewGuid().ToString(), "--no-heldout");
        Assert.Equal(2, unknown.Code);
        Assert.StartsWith("actsearch report: no job ", unknown.Output);
        Assert.Single(unknown.Output.Trim().Split('\n'));

        var prefix = job.Run("report", "ffffffff", "--no-heldout");
        Assert.Equal(2, prefix.Code);
        Assert.Contains("no job id starts with 'ffffffff'", prefix.Output);

        var format = job.Run("report", job.JobId.ToString(), "--format", "pdf");
        Assert.Equal(2, format.Code);
        Assert.Contains("--format must be one of html, md", format.Output);

        var task = job.Run("report", job.JobId.ToString(), "--heldout-task", "fmnist-resnet");
        Assert.Equal(2, task.Code);
        Assert.Contains("task 'fmnist-resnet' takes normalization-activation layers", task.Output);

        var fewSeeds = job.Run("report", job.JobId.ToString(), "--protocol", "evidence", "--seeds", "3");
        Assert.Equal(2, fewSeeds.Code);
        Assert.Contains("--protocol evidence needs --seeds 5 or more (got 3)", fewSeeds.Output);
        var protocol = job.Run("report", job.JobId.ToString(), "--protocol", "lucky");
        Assert.Equal(2, protocol.Code);
        Assert.Contains("--protocol must be one of standard, evidence", protocol.Output);
    }

    [Fact]
    public void Unreachable_storage_exits_1()
    {
        var result = job.RunWith("Host=127.0.0.1;Port=1;Username=x;Password=y;Database=z;Timeout=2", "report", job.JobId.ToString(), "--no-heldout");
        Assert.Equal(1, result.Code);
        Assert.Contains("actsearch report: ", result.Output);
    }
}

/// <summary>What the report says about the learning rates the evidence protocol chose.</summary>
public class RateEdgeNoteTests
{
    private static HeldOutRow Row(string name, double rate) =>
        new(name, name, true, new ActSearch.Evaluation.Tasks.TaskSummary("t", ActSearch.Evaluation.Tasks.TaskMetric.Accuracy, 5, 0.9, 0.01, double.NaN, 100, TimeSpan.FromSeconds(1)), rate);

    [Fact]
    public void A_task_where_most_functions_chose_the_top_of_the_grid_gets_a_note_and_a_mixed_one_none()
    {
        double tab = ActSearch.Evaluation.Tasks.TaskCatalog.Get("tabular-mlp").LearningRate;
        double dig = ActSearch.Evaluation.Tasks.TaskCatalog.Get("digits-mlp").LearningRate;
        var edge = HeldOutEvaluation.Compare("tabular-mlp", [Row("relu", tab * 3), Row("gelu", tab * 3), Row("tanh", tab)]);
        var mixed = HeldOutEvaluation.Compare("digits-mlp", [Row("relu", dig), Row("gelu", dig / 9), Row("tanh", dig / 3)]); // its grid: x 1/9, 1/3, 1
        var notes = ReportCommand.RateEdgeNotes(new HeldOutResult([edge, mixed], 5, null, "cpu", 0.05) { Protocol = HeldOutProtocol.Evidence }).ToList();
        var note = Assert.Single(notes);
        Assert.StartsWith("On tabular-mlp, 2 of 3 functions chose the highest learning rate tried (0.009)", note);
    }
}
