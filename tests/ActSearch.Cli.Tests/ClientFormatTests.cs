namespace ActSearch.Cli.Tests;

public class ClientFormatTests
{
    private static readonly DateTimeOffset Created = new(2026, 5, 4, 13, 7, 0, TimeSpan.Zero);

    private static JobInfo Job(string state = "running", long scored = 61, long? budget = 200, IReadOnlyDictionary<string, long>? stages = null,
        IReadOnlyDictionary<string, FrontEntryInfo>? best = null, string name = "swish") => new(
        Guid.Parse("3f2c0000-0000-0000-0000-000000000001"), name, "alice", "swish-core-unit", state, "42", budget, null,
        3, scored, 20, 38, 3, 0, 4, 2, stages ?? new Dictionary<string, long> { ["stability"] = 4, ["numeric"] = 20, ["duplicate"] = 6, ["quality"] = 8 },
        ["accuracy@fmnist-cnn", "complexity"],
        best ?? new Dictionary<string, FrontEntryInfo>
        {
            ["complexity"] = new(9, 1, "00000000000000aa", "relu(x)", null, [0.71, 2]),
            ["accuracy@fmnist-cnn"] = new(17, 2, "9c1e0b7a5d3f2e10", "x * sigmoid(x)", null, [0.83125, 4]),
        },
        Created, Created, null, 512.3, null);

    [Theory]
    [InlineData(0, 4, "[....................]")]
    [InlineData(2, 4, "[##########..........]")]
    [InlineData(4, 4, "[####################]")]
    [InlineData(9, 4, "[####################]")]
    [InlineData(3, 0, "[....................]")]
    public void Bar_fills_in_proportion_to_the_budget(long done, long total, string bar)
    {
        Assert.Equal(bar, ClientFormat.Bar(done, total));
    }

    [Fact]
    public void Progress_line_shows_generation_budget_bar_rejections_in_chain_order_and_best_per_objective()
    {
        Assert.Equal(
            "running   gen   3  [######..............] 61/200 scored  evaluated 20  rejected 38 (numeric 20, duplicate 6, stability 4, quality 8)  failed 3" +
            "  best accuracy@fmnist-cnn 0.8313  best complexity 2",
            ClientFormat.Progress(Job()));
    }

    [Fact]
    public void Progress_without_a_budget_or_results_shows_counts_only()
    {
        var job = Job(state: "queued", scored: 0, budget: null, stages: new Dictionary<string, long>(), best: new Dictionary<string, FrontEntryInfo>());
        Assert.Equal("queued    gen   3  0 scored  evaluated 20  rejected 38  failed 3", ClientFormat.Progress(job));
    }

    [Fact]
    public void Summary_lists_the_best_candidate_of_each_objective_in_objective_order()
    {
        string summary = ClientFormat.Summary(Job(state: "finished"));
        Assert.Equal(
            """
            job 3f2c0000-0000-0000-0000-000000000001 finished after 512.3 s: 61 scored, 20 evaluated, 38 rejected, 3 failed, 4 answered from the duplicate cache
            BEST                  VALUE  ACTIVATION        FORMULA
            accuracy@fmnist-cnn  0.8313  9c1e0b7a5d3f2e10  x * sigmoid(x)
            complexity                2  00000000000000aa  relu(x)

            """, summary);
    }

    [Fact]
    public void Jobs_table_aligns_columns_and_right_aligns_counts()
    {
        string table = ClientFormat.JobsTable([Job(), Job(state: "finished", scored: 200, name: "a much longer name")]);
        string[] lines = table.TrimEnd('\n').Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.Equal("ID                                    NAME                STATE     GEN   SCORED  REJECTED  BEST                        CREATED", lines[0]);
        Assert.Equal("3f2c0000-0000-0000-0000-000000000001  swish               running     3   61/200        38  accuracy@fmnist-cnn 0.8313  2026-05-04 13:07", lines[1]);
        Assert.Equal("3f2c0000-0000-0000-0000-000000000001  a much longer name  finished    3  200/200        38  accuracy@fmnist-cnn 0.8313  2026-05-04 13:07", lines[2]);
    }

    [Fact]
    public void Text_from_the_server_cannot_move_the_cursor_or_break_lines()
    {
        string table = ClientFormat.JobsTable([Job(name: "evil\u001b[2J\nname")]);
        Assert.Contains("evil?[2J?name", table);
        Assert.Equal(2, table.TrimEnd('\n').Split('\n').Length);
    }

    [Fact]
    public void Activation_score_prefers_the_asked_objective_then_accuracy_then_a_task_score()
    {
        var id = Guid.NewGuid();
        ScoreInfo complexity = new("complexity", null, 4, "minimize", id, 1), loss = new("loss", "regression", 0.01, "minimize", id, 1),
            mlp = new("accuracy", "fmnist-mlp", 0.8, "maximize", id, 1), cnn = new("accuracy", "fmnist-cnn", 0.9, "maximize", id, 1);
        Assert.Equal(mlp, ClientFormat.PickScore([complexity, loss, mlp, cnn], null, null));
        Assert.Equal(cnn, ClientFormat.PickScore([complexity, loss, mlp, cnn], null, "fmnist-cnn"));
        Assert.Equal(loss, ClientFormat.PickScore([complexity, loss], null, null));
        Assert.Equal(complexity, ClientFormat.PickScore([complexity, loss], "complexity", null));
        Assert.Null(ClientFormat.PickScore([complexity, loss], "accuracy", null));
        Assert.Null(ClientFormat.PickScore([], null, null));
    }

    [Fact]
    public void Activations_table_shows_score_and_where_it_was_measured()
    {
        var id = Guid.NewGuid();
        var items = new[]
        {
            new ActivationInfo("9c1e0b7a5d3f2e10", "x * sigmoid(x)", null, 3, Created, Created, id, id, [new("accuracy", "fmnist-cnn", 0.83, "maximize", id, 17)]),
            new ActivationInfo("00000000000000aa", "relu(x)", null, 12, Created, Created, id, id, []),
        };
        Assert.Equal(
            """
            ID                SCORE  ON                   SEEN  FORMULA
            9c1e0b7a5d3f2e10   0.83  accuracy@fmnist-cnn     3  x * sigmoid(x)
            00000000000000aa      -                         12  relu(x)

            """, ClientFormat.ActivationsTable(items, null, null));
    }

    [Theory]
    [InlineData(null, "nan")]
    [InlineData(0.0, "0")]
    [InlineData(0.83125, "0.8313")]
    [InlineData(4.0735e-4, "4.07E-4")]
    [InlineData(123456.0, "1.23E+5")]
    [InlineData(-2.5, "-2.5")]
    public void Numbers_are_short(double? value, string text)
    {
        Assert.Equal(text, ClientFormat.Number(value));
    }
}
