using System.Text.Json;

namespace ActSearch.Cli.Tests;

/// <summary>`actsearch compare`: a finished job's best function beside functions given by formula, grouped in arms.</summary>
public class CompareCommandTests(FinishedJob job) : IClassFixture<FinishedJob>
{
    [Fact]
    public void A_job_and_formulas_in_two_arms_are_trained_once_each_and_the_arms_are_tested_against_each_other()
    {
        string prefix = job.JobId.ToString("N")[..8];
        // The job's best function is its relu seed or a function it found; relu given again by formula is the same function.
        var result = job.Run("compare", $"found={prefix}", "--function", "found=relu(x)", "--function", "other=tanh(x)", "--function", "other=erf(x)",
            "--heldout-task", "tabular-mlp", "--seeds", "2", "--steps", "20", "--format", "json");
        Assert.True(result.Code == 0, result.Output);
        var doc = JsonDocument.Parse(result.Output[result.Output.IndexOf('{', StringComparison.Ordinal)..result.Output.LastIndexOf('}')] + "}").RootElement;

        var jobs = doc.GetProperty("jobs").EnumerateArray().ToList();
        Assert.Equal(["found", "found", "other", "other"], jobs.Select(j => j.GetProperty("label").GetString()));
        Assert.Equal(job.JobId.ToString(), jobs[0].GetProperty("job").GetString());
        Assert.Equal(JsonValueKind.Null, jobs[1].GetProperty("job").ValueKind);

        var task = Assert.Single(doc.GetProperty("heldOut").GetProperty("tasks").EnumerateArray());
        Assert.Equal("tabular-mlp", task.GetProperty("task").GetString());
        var rows = task.GetProperty("rows").EnumerateArray().ToList();
        var found = rows.Where(r => !r.GetProperty("baseline").GetBoolean()).Select(r => r.GetProperty("function").GetString()!).ToList();
        var distinct = jobs.Select(j => j.GetProperty("rows")[0].GetString()!).Distinct().ToList();
        Assert.Equal(distinct.Order(), found.Order()); // one row per distinct function
        Assert.Equal(7, rows.Count(r => r.GetProperty("baseline").GetBoolean())); // the standard baselines

        var arms = doc.GetProperty("arms").EnumerateArray().ToList();
        Assert.Equal(["found", "other"], arms.Select(a => a.GetProperty("label").GetString()));
        foreach (var arm in arms)
        {
            var values = arm.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToList();
            Assert.Equal(2, values.Count);
            Assert.Equal(values.Average(), arm.GetProperty("mean").GetDouble(), 12);
            var test = Assert.Single(arm.GetProperty("tests").EnumerateArray());
            Assert.Equal(arm.GetProperty("label").GetString() == "found" ? "other" : "found", test.GetProperty("against").GetString());
        }
        // Each value is the mean of its entry's row on the task.
        var other = arms[1].GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToList();
        var otherRows = jobs.Where(j => j.GetProperty("label").GetString() == "other").Select(j => j.GetProperty("rows")[0].GetString()).ToList();
        Assert.Equal(otherRows.Select(name => rows.Single(r => r.GetProperty("function").GetString() == name).GetProperty("mean").GetDouble()), other);
    }

    [Fact]
    public void Rows_on_a_task_the_given_functions_were_selected_on_are_trained_but_leave_the_transfer_record()
    {
        var result = job.Run("compare", "--function", "a=x * sigmoid(x)", "--function", "b=tanh(x)", "--searched-task", "tabular-mlp",
            "--heldout-task", "tabular-mlp", "--seeds", "2", "--steps", "10", "--format", "json");
        Assert.True(result.Code == 0, result.Output);
        var doc = JsonDocument.Parse(result.Output[result.Output.IndexOf('{', StringComparison.Ordinal)..result.Output.LastIndexOf('}')] + "}").RootElement;

        Assert.All(doc.GetProperty("jobs").EnumerateArray(), j => Assert.Equal("tabular-mlp", j.GetProperty("searchTasks")[0].GetString()));
        var heldOut = doc.GetProperty("heldOut");
        var task = Assert.Single(heldOut.GetProperty("tasks").EnumerateArray());
        Assert.Equal(2, task.GetProperty("rows").EnumerateArray().Count(r => !r.GetProperty("baseline").GetBoolean())); // trained
        Assert.Empty(heldOut.GetProperty("transfer").EnumerateArray()); // but not held out: no transfer record
        Assert.Contains(heldOut.GetProperty("notes").EnumerateArray(), n => n.GetString()!.Contains("tabular-mlp was a task of a search", StringComparison.Ordinal)
            && n.GetString()!.Contains("do not count in the transfer table", StringComparison.Ordinal));
    }

    [Fact]
    public void A_confirmation_trains_fresh_seeds_from_the_first_seed_given()
    {
        string[] common = ["compare", "--function", "a=x * sigmoid(x)", "--function", "b=tanh(x)", "--heldout-task", "tabular-mlp", "--steps", "10"];
        var fresh = job.Run([.. common, "--seeds", "2", "--first-seed", "3", "--format", "json"]);
        var first = job.Run([.. common, "--seeds", "4", "--format", "json"]);
        Assert.True(fresh.Code == 0 && first.Code == 0, fresh.Output + first.Output);
        var freshDoc = JsonDocument.Parse(fresh.Output[fresh.Output.IndexOf('{', StringComparison.Ordinal)..fresh.Output.LastIndexOf('}')] + "}").RootElement;
        var firstDoc = JsonDocument.Parse(first.Output[first.Output.IndexOf('{', StringComparison.Ordinal)..first.Output.LastIndexOf('}')] + "}").RootElement;

        Assert.Equal(3, freshDoc.GetProperty("firstSeed").GetInt32());
        Assert.Equal(1, firstDoc.GetProperty("firstSeed").GetInt32());
        Assert.Contains("seed(s) from 3 on", fresh.Output);
        // Seeds 3 and 4 alone are not seeds 1 and 2: the means differ from a run of seeds 1..2 and fit inside one of 1..4.
        var second = job.Run([.. common, "--seeds", "2", "--format", "json"]);
        var secondDoc = JsonDocument.Parse(second.Output[second.Output.IndexOf('{', StringComparison.Ordinal)..second.Output.LastIndexOf('}')] + "}").RootElement;
        double Mean(JsonElement doc, string row) => doc.GetProperty("heldOut").GetProperty("tasks")[0].GetProperty("rows").EnumerateArray()
            .Single(r => r.GetProperty("function").GetString() == row).GetProperty("mean").GetDouble();
        Assert.NotEqual(Mean(secondDoc, "relu"), Mean(freshDoc, "relu"));
        Assert.Equal(Mean(firstDoc, "relu"), (Mean(secondDoc, "relu") + Mean(freshDoc, "relu")) / 2, 9);
    }

    [Fact]
    public void The_markdown_comparison_is_written_whole_to_the_file_with_the_arms_and_the_task_tables()
    {
        string file = Path.Combine(job.Home, "compare.md");
        var result = job.Run("compare", job.JobId.ToString(), "--function", "mine=x * sigmoid(x)",
            "--heldout-task", "tabular-mlp", "--seeds", "2", "--steps", "10", "--out", file);
        Assert.True(result.Code == 0, result.Output);
        Assert.Contains($"comparison of 2 entries written to {file}", result.Output);
        string md = File.ReadAllText(file);
        Assert.StartsWith("# ActSearch comparison on held-out tasks", md);
        Assert.Contains("&lt;script&gt;", md); // the job's name, escaped
        Assert.DoesNotContain("## Arms", md); // one entry per arm: nothing to test between arms
        Assert.Contains("### tabular-mlp", md);
        Assert.Contains("| mine formula | found |", md);
        Assert.Empty(Directory.GetFiles(job.Home, ".compare.md.*"));
    }

    [Theory]
    [InlineData("at least two entries", "--function", "a=x")]
    [InlineData("name the held-out tasks with --heldout-task", "--function", "a=x", "--function", "b=tanh(x)")]
    [InlineData("'a b' is not a label", "--function", "a b=x", "--function", "c=x", "--heldout-task", "tabular-mlp")]
    [InlineData("write LABEL=FORMULA", "--function", "tanh(x)", "--function", "c=x", "--heldout-task", "tabular-mlp")]
    [InlineData("formula ", "--function", "a=tanh(", "--function", "c=x", "--heldout-task", "tabular-mlp")]
    [InlineData("different kinds", "--function", "a=x / sqrt(group_var(x, 4) + 0.00001)", "--function", "b=x", "--heldout-task", "tabular-mlp")]
    [InlineData("needs --seeds 5 or more", "--function", "a=x", "--function", "b=x", "--heldout-task", "tabular-mlp", "--protocol", "evidence", "--seeds", "2")]
    [InlineData("takes normalization-activation layers", "--function", "a=x", "--function", "b=tanh(x)", "--heldout-task", "fmnist-vgg")]
    [InlineData("'xyz' is not a job id", "xyz", "--function", "b=x", "--heldout-task", "tabular-mlp")]
    [InlineData("--searched-task describes --function entries", "abcd1234", "abcd5678", "--searched-task", "tabular-mlp")]
    [InlineData("unknown task 'cifar'", "--function", "a=x", "--function", "b=x", "--heldout-task", "tabular-mlp", "--searched-task", "cifar")]
    [InlineData("--first-seed", "--function", "a=x", "--function", "b=x", "--heldout-task", "tabular-mlp", "--first-seed", "0")]
    [InlineData("--out: the folder '/no/such/folder' does not exist", "--function", "a=x", "--function", "b=x", "--heldout-task", "tabular-mlp", "--out", "/no/such/folder/c.md")]
    [InlineData("--out: '/tmp' is a folder; name the file to write", "--function", "a=x", "--function", "b=x", "--heldout-task", "tabular-mlp", "--out", "/tmp")]
    public void Mistakes_are_usage_errors_that_name_the_problem_before_anything_trains(string message, params string[] args)
    {
        var (code, stdout, stderr) = CliRunner.Run(["compare", .. args]);
        Assert.Equal(2, code);
        Assert.StartsWith("actsearch compare: ", stderr);
        Assert.Contains(message, stderr);
        Assert.Empty(stdout);
    }
}
