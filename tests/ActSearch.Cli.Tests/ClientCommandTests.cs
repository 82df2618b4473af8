using ActSearch.Testing;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;

namespace ActSearch.Cli.Tests;

/// <summary>
/// The client commands (submit, jobs, watch, activations, export) against a real `actsearch serve` process with
/// real PostgreSQL and real proxy training: one tiny regression search of 4 evaluations is the only job that runs
/// to the end.
/// </summary>
public class ClientCommandTests(ServeProcess server) : IClassFixture<ServeProcess>
{
    internal const string TinySpace = """
        name: client-test
        kind: activation
        seed: 7
        tasks: [regression]
        objectives: [loss@regression, complexity]
        genome:
          representation: core_unit
          unary: [neg, abs, square, tanh, sigmoid, relu, sin]
          binary: [add, sub, mul, max, min]
        evolution:
          strategy: regularized
          population: 4
          tournament: 2
          offspring_per_generation: 2
        rejection:
          quality: { enabled: false }
        budget:
          evaluations: 4
        """;

    [Fact]
    public void Submit_wait_follows_a_job_to_the_end_then_jobs_activations_and_export_show_what_it_found()
    {
        string space = WriteSpace(TinySpace);
        var submit = Cli("submit", space, "--name", "client <test>", "--wait", "--token", server.Token);
        Assert.True(submit.Code == 0, $"{submit.Out}\n{submit.Err}\n{server.Log()}");
        var id = Guid.Parse(submit.Out.Split('\n')[0]);
        Assert.Contains($"submitted client-test to {server.Url} as job {id}", submit.Err);
        Assert.Contains("finished  gen", submit.Out);
        Assert.Contains("[####################] 4/4 scored", submit.Out);
        Assert.Contains($"job {id} finished after", submit.Out);
        Assert.Matches(@"\nloss@regression +\S+ +[0-9a-f]{16}  \S", submit.Out);

        var jobs = Cli("jobs");
        Assert.Equal(0, jobs.Code);
        Assert.StartsWith("ID  ", jobs.Out);
        string row = jobs.Out.Split('\n').Single(l => l.StartsWith(id.ToString(), StringComparison.Ordinal));
        Assert.Matches(@"client <test>\s+finished\s+\d+\s+4/4\s+\d+\s+loss@regression ", row);

        // The job's best functions are in the catalog, in the JSON and in the table.
        var best = Job(id).GetProperty("best").EnumerateObject().Select(o => o.Value.GetProperty("activationId").GetString()!).Distinct().ToList();
        Assert.NotEmpty(best);
        var list = Cli("activations", "--json", "--top", "200");
        Assert.Equal(0, list.Code);
        var items = JsonDocument.Parse(list.Out).RootElement.EnumerateArray().Where(a => best.Contains(a.GetProperty("id").GetString()!)).ToList();
        Assert.Equal(best.Count, items.Count);
        var table = Cli("activations", "--top", "200");
        Assert.StartsWith("ID  ", table.Out);
        foreach (string a in best) Assert.Matches($@"\n{a} +\S+ +loss@regression +\d+  \S", table.Out);

        string formula = items[0].GetProperty("formula").GetString()!;
        var found = Cli("activations", "--q", formula);
        Assert.Contains(items[0].GetProperty("id").GetString()!, found.Out);

        foreach (var a in items)
        {
            string activation = a.GetProperty("id").GetString()!;
            var pytorch = Cli("export", activation, "--format", "pytorch");
            Assert.True(pytorch.Code == 0, pytorch.Err);
            Assert.Contains("class Activation(nn.Module):", pytorch.Out);
            Assert.Contains("def forward(self, x):", pytorch.Out);
            Assert.Contains("public sealed class Activation : nn.Module<Tensor, Tensor>", Cli("export", activation, "--format", "torchsharp").Out);
            Assert.Equal(a.GetProperty("latex").GetString() + "\n", Cli("export", activation, "--format", "latex").Out);
            var sympy = Cli("export", activation, "--format", "sympy");
            Assert.Contains("import sympy", sympy.Out);
            Assert.Contains("\nf = ", sympy.Out);
        }

        // --out writes what stdout would have shown; the default format is PyTorch.
        string first = items[0].GetProperty("id").GetString()!, file = Path.Combine(Path.GetDirectoryName(space)!, "act.py");
        var written = Cli("export", first, "--out", file);
        Assert.Equal(0, written.Code);
        Assert.Equal(Cli("export", first, "--format", "pytorch").Out, File.ReadAllText(file));

        // Watching a finished job (by its id or the start of it) prints its last state and exits 0.
        foreach (string job in new[] { id.ToString(), id.ToString("N")[..8] })
        {
            var watch = Cli("watch", job);
            Assert.True(watch.Code == 0, watch.Err);
            Assert.Contains($"job {id} finished after", watch.Out);
        }
    }

    [Fact]
    public async Task Submit_wait_exits_1_when_the_job_is_cancelled()
    {
        string space = WriteSpace(TinySpace.Replace("evaluations: 4", "evaluations: 500", StringComparison.Ordinal));
        var run = Task.Run(() => Cli("submit", space, "--name", "to-cancel", "--wait", "--token", server.Token));
        string id = Poll.UntilFound(() => Jobs().Where(j => j.GetProperty("name").GetString() == "to-cancel").Select(j => j.GetProperty("id").GetString()).FirstOrDefault(),
            TimeSpan.FromSeconds(30), "the job 'to-cancel' in the listing");
        Post($"/api/jobs/{id}/cancel");
        var result = await run.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(result.Code == 1, $"{result.Out}\n{result.Err}");
        Assert.Contains("cancelled", result.Out);
    }

    [Fact]
    public void Submit_without_a_token_or_with_a_wrong_one_exits_2_and_stores_nothing()
    {
        string space = WriteSpace(TinySpace);
        int before = Jobs().Count;

        var missing = ChildCli(NoEnvironment, "submit", space, "--server", server.Url);
        Assert.Equal(2, missing.Code);
        Assert.Equal("actsearch submit: the server needs a token (401); pass --token or set ACTSEARCH_TOKEN.\n", missing.Err);
        Assert.Equal("", missing.Out);

        var wrong = ChildCli(NoEnvironment, "submit", space, "--server", server.Url, "--token", "not-" + server.Token);
        Assert.Equal(2, wrong.Code);
        Assert.Contains("the server refused the token (401)", wrong.Err);

        Assert.Equal(before, Jobs().Count);
    }

    [Fact]
    public void Server_and_token_default_to_ACTSEARCH_SERVER_and_ACTSEARCH_TOKEN()
    {
        string space = WriteSpace(TinySpace);
        var env = new Dictionary<string, string> { ["ACTSEARCH_SERVER"] = server.Url, ["ACTSEARCH_TOKEN"] = server.Token };
        var submit = ChildCli(env, "submit", space, "--name", "from-env", "--budget", "2");
        Assert.True(submit.Code == 0, submit.Err);
        string id = submit.Out.Trim();
        Assert.True(Guid.TryParse(id, out _), submit.Out);
        Post($"/api/jobs/{id}/cancel"); // it only had to be accepted

        var jobs = ChildCli(env, "jobs");
        Assert.Equal(0, jobs.Code);
        Assert.Contains(id, jobs.Out);
    }

    [Fact]
    public void Without_a_configured_server_jobs_activations_and_export_read_the_local_store()
    {
        string space = WriteSpace(TinySpace);
        var submit = ChildCli(new Dictionary<string, string> { ["ACTSEARCH_SERVER"] = server.Url, ["ACTSEARCH_TOKEN"] = server.Token },
            "submit", space, "--name", "read-locally", "--budget", "2");
        Assert.True(submit.Code == 0, submit.Err);
        string id = submit.Out.Trim();

        // No --server, no ACTSEARCH_SERVER: the store ACTSEARCH_DB names, read in process (as after a local `run`).
        var local = new Dictionary<string, string> { ["ACTSEARCH_DB"] = server.ConnectionString };
        var jobs = ChildCli(local, "jobs", "--json");
        Assert.True(jobs.Code == 0, jobs.Err);
        Assert.Contains(id, jobs.Out);
        var activations = ChildCli(local, "activations", "--json");
        Assert.True(activations.Code == 0, activations.Err);
        Assert.StartsWith("[", activations.Out.TrimStart());
        var missing = ChildCli(local, "export", "0123456789abcdef");
        Assert.Equal(2, missing.Code);
        Assert.Contains("0123456789abcdef", missing.Err);
        // What needs a live job still needs a server.
        var watch = ChildCli(local, "watch", id);
        Assert.Equal(1, watch.Code);
        Assert.Contains("cannot reach", watch.Err);
    }

    [Fact]
    public void Unknown_jobs_and_activations_exit_2_naming_what_was_not_found()
    {
        var watch = Cli("watch", "00000000-0000-0000-0000-000000000001");
        Assert.Equal(2, watch.Code);
        Assert.Equal($"actsearch watch: job 00000000-0000-0000-0000-000000000001: not found on {server.Url} (404).\n", watch.Err);

        var export = Cli("export", "ffffffffffffffff", "--format", "sympy");
        Assert.Equal(2, export.Code);
        Assert.Equal($"actsearch export: activation ffffffffffffffff: not found on {server.Url} (404).\n", export.Err);
    }

    [Fact]
    public void A_request_the_server_refuses_prints_its_problem_details_on_one_line()
    {
        var result = Cli("activations", "--q", new string('x', 201));
        Assert.Equal(2, result.Code);
        Assert.Equal("actsearch activations: q: longer than 200 characters.\n", result.Err);
    }

    private static readonly Dictionary<string, string> NoEnvironment = [];

    private (int Code, string Out, string Err) Cli(params string[] args) => CliRunner.Run([.. args, "--server", server.Url]);

    private string WriteSpace(string yaml)
    {
        string dir = Path.Combine(server.Home, "spaces", Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, "space.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    private JsonElement Job(Guid id)
    {
        using var http = new HttpClient();
        return JsonDocument.Parse(http.GetStringAsync($"{server.Url}/api/jobs/{id}").GetAwaiter().GetResult()).RootElement.Clone();
    }

    private List<JsonElement> Jobs()
    {
        using var http = new HttpClient();
        string body = http.GetStringAsync($"{server.Url}/api/jobs?pageSize=200").GetAwaiter().GetResult();
        return [.. JsonDocument.Parse(body).RootElement.GetProperty("items").EnumerateArray().Select(j => j.Clone())];
    }

    private void Post(string path)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, server.Url + path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", server.Token);
        using var response = http.Send(request);
        Assert.True(response.IsSuccessStatusCode, $"POST {path}: {(int)response.StatusCode}");
    }

    /// <summary>The CLI in a child process with a clean client environment plus <paramref name="env"/>.</summary>
    internal static (int Code, string Out, string Err) ChildCli(IReadOnlyDictionary<string, string> env, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "actsearch.dll"), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment.Remove("ACTSEARCH_SERVER");
        psi.Environment.Remove("ACTSEARCH_TOKEN");
        foreach (var (key, value) in env) psi.Environment[key] = value;
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"actsearch {string.Join(' ', args)} did not finish in 2 minutes:\n{stdout}");
        }
        return (p.ExitCode, stdout, stderr.Result);
    }
}
