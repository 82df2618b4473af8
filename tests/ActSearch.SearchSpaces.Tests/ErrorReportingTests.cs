using ActSearch.Evaluation.Tasks;

namespace ActSearch.SearchSpaces.Tests;

/// <summary>Every problem is reported as file:line:column: message, at the offending text, all at once.</summary>
public sealed class ErrorReportingTests
{
    internal static IReadOnlyList<SearchSpaceError> Errors(string yaml, SearchSpaceLoadOptions? options = null)
    {
        Assert.False(SearchSpaceLoader.TryLoadFromText(yaml, "t.yaml", out var space, out var errors, options), "expected errors");
        Assert.Null(space);
        Assert.NotEmpty(errors);
        return errors;
    }

    internal static SearchSpaceError Error(string yaml) => Assert.Single(Errors(yaml));

    /// <summary>1-based line and column of the first occurrence of <paramref name="needle"/>.</summary>
    internal static (int Line, int Column) At(string yaml, string needle, int occurrence = 1)
    {
        int index = -1;
        for (int i = 0; i < occurrence; i++) index = yaml.IndexOf(needle, index + 1, StringComparison.Ordinal);
        Assert.True(index >= 0, $"'{needle}' not in the text");
        int line = 1 + yaml[..index].Count(c => c == '\n');
        int column = index - (yaml.LastIndexOf('\n', Math.Max(index - 1, 0)) is var nl && nl >= 0 && nl < index ? nl + 1 : 0) + 1;
        return (line, column);
    }

    private static void AssertAt(SearchSpaceError e, (int Line, int Column) at) => Assert.Equal(at, (e.Line, e.Column));

    [Fact]
    public void Unknown_primitive_is_reported_at_its_line_and_column()
    {
        const string yaml = """
            name: t
            kind: activation
            genome:
              unary: [tanh, tanhh]
            """;
        var e = Error(yaml);
        Assert.Equal("t.yaml:4:17: unknown primitive 'tanhh' (did you mean 'tanh'?).", e.ToString());
    }

    [Fact]
    public void The_robust_objective_takes_every_task_and_refuses_one_without_a_reference_score()
    {
        var space = SearchSpaceLoader.LoadFromText("name: t\nkind: activation\ntasks: [fmnist-cnn, deep-mlp]\nobjectives: [robust_gain, complexity]\n", "t.yaml");
        Assert.Equal(new Evolution.Objective("robust_gain", Evolution.ObjectiveDirection.Maximize), space.Evolution.Objectives[0]);

        const string withRegression = "name: t\nkind: activation\ntasks: [fmnist-cnn, regression]\nobjectives: [robust_gain, complexity]\n";
        var e = Error(withRegression);
        AssertAt(e, At(withRegression, "robust_gain"));
        Assert.Contains("task 'regression' has none", e.Message, StringComparison.Ordinal);
        Assert.Contains("deep-mlp", e.Message, StringComparison.Ordinal); // the tasks that have one

        const string onTask = "name: t\nkind: activation\ntasks: [fmnist-cnn]\nobjectives: [robust_gain@fmnist-cnn]\n";
        Assert.Contains("does not depend on a task", Error(onTask).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_malformed_learned_unit_is_reported_with_its_reason()
    {
        const string yaml = """
            name: t
            kind: activation
            genome:
              unary:
                - tanh
                - rational{5, 4, init=swish2}
                - spline{3, 1.5}
            """;
        var errors = Errors(yaml);
        Assert.Equal(2, errors.Count);
        Assert.StartsWith("t.yaml:6:7: learned unit 'rational{5, 4, init=swish2}': unknown init function 'swish2'; known: elu, gelu", errors[0].ToString());
        Assert.StartsWith("t.yaml:7:7: learned unit 'spline{3, 1.5}': the grid of spline{k, grid} is its number of intervals", errors[1].ToString());
    }

    [Fact]
    public void Learned_units_are_listed_by_their_canonical_spec_so_seeds_that_use_them_are_accepted()
    {
        const string yaml = """
            name: t
            kind: activation
            genome:
              unary:
                - rational{ 5, 4, init=leaky_relu }
                - spline{3,8}
            seeds:
              - name: pau
                formula: x * rational{5,4}(x)
            """;
        Assert.True(SearchSpaceLoader.TryLoadFromText(yaml, "t.yaml", out var space, out var errors), string.Join("; ", errors));
        Assert.Equal(["rational{5,4}", "spline{3,8}"], space!.Evolution.Genome.Unary.ToArray());
    }

    [Fact]
    public void Unknown_field_is_reported_with_the_closest_known_field()
    {
        const string yaml = """
            name: t
            kind: activation
            evolution:
              popluation: 10
            """;
        var e = Error(yaml);
        AssertAt(e, (4, 3));
        Assert.StartsWith("unknown field 'popluation' in 'evolution' (did you mean 'population'?)", e.Message);
    }

    [Fact]
    public void Unknown_top_level_field_is_an_error()
    {
        var e = Error("name: t\nkind: activation\nbudgett:\n  evaluations: 5\n");
        AssertAt(e, (3, 1));
        Assert.StartsWith("unknown field 'budgett' at the top level (did you mean 'budget'?)", e.Message);
    }

    [Theory]
    [InlineData("population: many", "'evolution.population' must be a whole number from 2 to 100000, found 'many'.")]
    [InlineData("population: [1, 2]", "'evolution.population' must be a whole number from 2 to 100000, found a list.")]
    [InlineData("population: \"64\"", "'evolution.population' must be a whole number from 2 to 100000, found the quoted text '64'.")]
    [InlineData("population: 1", "'evolution.population' must be a whole number from 2 to 100000, found '1'.")]
    [InlineData("crossover_rate: 1.5", "'evolution.crossover_rate' must be a number from 0 to 1, found '1.5'.")]
    [InlineData("strategy: nsga3", "'evolution.strategy' must be one of: regularized, nsga2, multi_objective_tournament, random; found 'nsga3'. Did you mean 'nsga2'?")]
    [InlineData("population:", "'evolution.population' must be a whole number from 2 to 100000, found nothing.")]
    public void Wrong_types_and_out_of_range_values_are_reported_at_the_value(string line, string message)
    {
        string yaml = $"name: t\nkind: activation\nevolution:\n  {line}\n";
        var e = Error(yaml);
        int column = line.EndsWith(':') ? line.Length + 3 : line.IndexOf(':', StringComparison.Ordinal) + 5;
        Assert.Equal((4, column), (e.Line, e.Column));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Missing_required_fields_are_reported_at_the_start_of_the_file()
    {
        var errors = Errors("description: nothing else\n");
        Assert.Equal(["t.yaml:1:1: missing required field 'name'.", "t.yaml:1:1: missing required field 'kind' (activation or layer)."],
            errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Unknown_task_is_reported_with_a_suggestion()
    {
        const string yaml = "name: t\nkind: activation\ntasks: [fmnist-mlp, fmnist-cnnn]\n";
        var e = Error(yaml);
        AssertAt(e, At(yaml, "fmnist-cnnn"));
        Assert.StartsWith("unknown task 'fmnist-cnnn' (did you mean 'fmnist-cnn'?)", e.Message);
    }

    [Fact]
    public void Callers_can_extend_the_known_tasks()
    {
        const string yaml = "name: t\nkind: activation\ntasks: [cifar10-resnet]\n";
        Assert.Contains("unknown task 'cifar10-resnet'", Error(yaml).Message);
        var options = new SearchSpaceLoadOptions { Tasks = [.. TaskCatalog.Names, "cifar10-resnet"] };
        var space = SearchSpaceLoader.LoadFromText(yaml, "t.yaml", options);
        Assert.Equal("cifar10-resnet", Assert.Single(space.Tasks));
        Assert.Equal("accuracy@cifar10-resnet", Assert.Single(space.Evolution.Objectives).Key);
    }

    [Fact]
    public void Aggregates_are_not_allowed_in_an_activation_space()
    {
        const string yaml = "name: t\nkind: activation\ngenome:\n  aggregates: [batch_mean]\n";
        var e = Error(yaml);
        AssertAt(e, At(yaml, "batch_mean"));
        Assert.Contains("not allowed in an activation space", e.Message);
    }

    [Fact]
    public void A_seed_with_an_aggregate_is_not_allowed_in_an_activation_space()
    {
        const string yaml = "name: t\nkind: activation\nseeds:\n  - x / exp(batch_var(x) + 1)\n";
        var e = Error(yaml);
        AssertAt(e, At(yaml, "batch_var"));
        Assert.Contains("aggregate 'batch_var', which an activation space does not allow", e.Message);
    }

    [Fact]
    public void A_primitive_of_the_wrong_arity_names_the_list_it_belongs_to()
    {
        var e = Error("name: t\nkind: activation\ngenome:\n  unary: [add]\n");
        Assert.Equal("'add' is a binary primitive, not a unary primitive; list it under 'genome.binary'.", e.Message);
    }

    [Fact]
    public void A_layer_space_needs_aggregates()
    {
        var e = Error("name: t\nkind: layer\ngenome:\n  aggregates: []\n");
        AssertAt(e, (4, 15));
        Assert.StartsWith("a layer space needs at least one aggregate", e.Message);
    }

    [Fact]
    public void Invalid_seed_formula_is_reported_inside_a_plain_scalar()
    {
        const string yaml = "name: t\nkind: activation\nseeds:\n  - x * tanhh(x)\n";
        var e = Error(yaml);
        AssertAt(e, At(yaml, "tanhh"));
        Assert.Equal("seed: unknown function 'tanhh'. Did you mean 'tanh'?", e.Message);
    }

    [Fact]
    public void Invalid_seed_formula_is_reported_inside_a_quoted_scalar()
    {
        const string yaml = """
            name: t
            kind: activation
            seeds:
              - name: bad
                formula: "x * (1 + sigmoid(x) ** 2)"
            """;
        var e = Error(yaml);
        AssertAt(e, At(yaml, "* 2"));
        Assert.StartsWith("seed 'bad': unexpected '*'", e.Message);
    }

    [Fact]
    public void Invalid_seed_formula_is_reported_inside_a_folded_block()
    {
        const string yaml = """
            name: t
            kind: activation
            seeds:
              - name: long
                formula: >
                  x * sigmoid(x) +
                  tanh(x) + )
            """;
        var e = Error(yaml);
        AssertAt(e, At(yaml, ")", 3));
    }

    [Fact]
    public void A_seed_may_only_use_the_spaces_primitives()
    {
        const string yaml = "name: t\nkind: activation\ngenome:\n  unary: [tanh]\n  binary: [add]\nseeds:\n  - tanh(x) + softplus(x)\n";
        var e = Error(yaml);
        AssertAt(e, At(yaml, "softplus"));
        Assert.Equal("seed uses 'softplus', which is not in 'genome.unary'.", e.Message);
    }

    [Fact]
    public void A_seed_must_keep_the_genomes_limits()
    {
        const string yaml = "name: t\nkind: activation\ngenome:\n  max_nodes: 3\nseeds:\n  - name: big\n    formula: tanh(x) + tanh(x + 1)\n";
        var e = Error(yaml);
        AssertAt(e, At(yaml, "tanh(x) +"));
        Assert.Equal("seed 'big' breaks the genome's limits: size 7 exceeds 3.", e.Message);
    }

    [Fact]
    public void YAML_syntax_errors_carry_the_parsers_position()
    {
        const string yaml = "name: t\nkind: activation\ntasks: [fmnist-mlp\n";
        var e = Error(yaml);
        Assert.StartsWith("YAML: ", e.Message);
        Assert.True(e.Line >= 3, e.ToString());
    }

    [Fact]
    public void A_duplicate_key_is_reported_where_it_repeats()
    {
        var e = Error("name: t\nkind: activation\nname: u\n");
        AssertAt(e, (3, 1));
        Assert.Contains("Duplicate key", e.Message);
    }

    [Fact]
    public void Every_error_in_a_file_is_reported_in_file_order()
    {
        const string yaml = """
            name: Bad Name
            kind: activation
            tasks: [fmnist-mlp]
            genome:
              unary: [tanhh]
              max_depth: 0
            evolution:
              population: 1
            budget:
              wall_time: 2 hours
            seeds:
              - x +
            """;
        var errors = Errors(yaml);
        Assert.Equal([1, 5, 6, 8, 10, 12], errors.Select(e => e.Line));
        Assert.All(errors, e => Assert.Equal("t.yaml", e.File));
        var ex = Assert.Throws<SearchSpaceException>(() => SearchSpaceLoader.LoadFromText(yaml, "t.yaml"));
        Assert.Equal(errors, ex.Errors);
        Assert.Equal(string.Join(Environment.NewLine, errors), ex.Message);
    }

    [Fact]
    public void Anchors_and_aliases_are_rejected_so_yaml_bombs_cannot_expand()
    {
        var bomb = new System.Text.StringBuilder("name: t\nkind: activation\na: &a [x, x, x, x, x, x, x, x, x]\n");
        for (char c = 'b'; c <= 'k'; c++) bomb.Append($"{c}: &{c} [*{(char)(c - 1)}, *{(char)(c - 1)}, *{(char)(c - 1)}, *{(char)(c - 1)}]\n");
        var e = Error(bomb.ToString());
        AssertAt(e, (3, 4));
        Assert.Contains("anchors (&a) are not supported", e.Message);
    }

    [Fact]
    public void Deep_nesting_is_rejected_without_exhausting_the_stack()
    {
        var e = Error("name: t\nkind: activation\ntasks: " + new string('[', 200_000));
        Assert.Contains("nested deeper than 32 levels", e.Message);
        Assert.Equal(3, e.Line);
    }

    [Fact]
    public void Oversized_input_is_rejected_before_parsing()
    {
        var e = Error("name: t\nkind: activation\n#" + new string('x', 1 << 20));
        Assert.Equal((1, 1), (e.Line, e.Column));
        Assert.Contains("limited to 1048576", e.Message);
    }

    [Fact]
    public void Tags_are_rejected()
    {
        var e = Error("name: t\nkind: !!str activation\n");
        AssertAt(e, (2, 7));
        Assert.Contains("tags", e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment\n")]
    public void An_empty_file_is_an_error(string yaml) =>
        Assert.Equal("t.yaml:1:1: the file is empty; a search space needs at least 'name' and 'kind'.", Error(yaml).ToString());

    [Fact]
    public void Only_one_document_per_file()
    {
        var e = Error("name: t\nkind: activation\n---\nname: u\n");
        Assert.Equal(4, e.Line);
    }

    [Fact]
    public void A_file_that_is_not_a_mapping_is_an_error()
    {
        Assert.StartsWith("a search space is a mapping", Error("- name: t\n").Message);
        Assert.StartsWith("a search space is a mapping", Error("just text\n").Message);
    }

    [Fact]
    public void A_section_that_is_not_a_mapping_is_an_error()
    {
        var e = Error("name: t\nkind: activation\ngenome: [tanh]\n");
        AssertAt(e, (3, 9));
        Assert.Equal("'genome' must be a mapping of fields (name: value), found a list.", e.Message);
    }

    [Fact]
    public void Tournament_may_not_exceed_population()
    {
        var e = Error("name: t\nkind: activation\nevolution:\n  population: 4\n  tournament: 8\n");
        AssertAt(e, (5, 15));
    }

    [Fact]
    public void Depth_limits_must_be_in_order()
    {
        var e = Error("name: t\nkind: activation\ngenome:\n  max_depth: 3\n");
        AssertAt(e, (4, 14));
        Assert.Equal("'genome.init_max_depth' (4) must not exceed 'genome.max_depth' (3).", e.Message);
    }

    [Fact]
    public void A_budget_needs_evaluations_or_wall_time()
    {
        var e = Error("name: t\nkind: activation\nbudget: {}\n");
        Assert.StartsWith("'budget' needs 'evaluations', 'wall_time' or both", e.Message);
    }

    [Theory]
    [InlineData("2h", 7200)]
    [InlineData("30m", 1800)]
    [InlineData("1h30m", 5400)]
    [InlineData("90s", 90)]
    [InlineData("1d", 86400)]
    public void Wall_time_reads_durations_as_people_write_them(string text, int seconds)
    {
        var space = SearchSpaceLoader.LoadFromText($"name: t\nkind: activation\nbudget:\n  wall_time: {text}\n", "t.yaml");
        Assert.Equal(new ActSearch.Evolution.Budget(null, TimeSpan.FromSeconds(seconds)), space.Evolution.Budget);
    }

    [Theory]
    [InlineData("2 hours")]
    [InlineData("0m")]
    [InlineData("120")]
    [InlineData("400d")]
    public void Wall_time_rejects_other_text(string text)
    {
        var e = Error($"name: t\nkind: activation\nbudget:\n  wall_time: {text}\n");
        AssertAt(e, (4, 14));
        Assert.StartsWith("'budget.wall_time' must be a duration such as 90s, 30m, 2h or 1h30m", e.Message);
    }

    [Theory]
    [InlineData("- accuracy", "objective 'accuracy' is measured per task: write it as 'accuracy@<task>', e.g. 'accuracy@fmnist-mlp'.")]
    [InlineData("- complexity@fmnist-mlp", "objective 'complexity' does not depend on a task; write it without '@fmnist-mlp'.")]
    [InlineData("- accuracy@fmnist-cnn", "objective 'accuracy@fmnist-cnn' needs task 'fmnist-cnn' in 'tasks' (the candidate is only trained on those).")]
    [InlineData("- acuracy@fmnist-mlp", "unknown objective 'acuracy' (did you mean 'accuracy'?); the known objectives are: accuracy, loss, complexity, nodes, flops, parameters, latency, robust_gain, sparsity.")]
    [InlineData("- {name: accuracy, task: fmnist-mlp, direction: up}", "'objectives item.direction' must be one of: maximize, minimize; found 'up'.")]
    public void Objectives_are_checked_against_the_known_objectives_and_the_tasks(string item, string message)
    {
        var e = Error($"name: t\nkind: activation\ntasks: [fmnist-mlp]\nobjectives:\n  {item}\n");
        Assert.Equal(5, e.Line);
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Load_names_the_file_as_given_and_reports_a_missing_file()
    {
        var dir = Directory.CreateTempSubdirectory("actsearch-spaces-");
        try
        {
            var path = Path.Combine(dir.FullName, "swish.yaml");
            File.WriteAllText(path, "name: swish\nkind: activation\ngenome:\n  unary: [tanhh]\n");
            var ex = Assert.Throws<SearchSpaceException>(() => SearchSpaceLoader.Load(path));
            Assert.Equal($"{path}:4:11: unknown primitive 'tanhh' (did you mean 'tanh'?).", Assert.Single(ex.Errors).ToString());

            var missing = Path.Combine(dir.FullName, "nope.yaml");
            Assert.False(SearchSpaceLoader.TryLoad(missing, out _, out var errors));
            Assert.Equal($"{missing}:1:1: file not found.", Assert.Single(errors).ToString());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void An_unknown_embedded_name_lists_the_embedded_ones()
    {
        var ex = Assert.Throws<ArgumentException>(() => SearchSpaceLoader.LoadEmbedded("evonorm-x"));
        Assert.Contains("evonorm-b, evonorm-s", ex.Message);
    }

    [Fact]
    public void A_yaml_parser_crash_is_reported_as_a_positioned_error()
    {
        // YamlDotNet 16.3 throws InvalidOperationException on this text instead of a YamlException.
        var e = Error(": [\nt]");
        Assert.Equal((1, 3), (e.Line, e.Column));
        Assert.Equal("YAML: the text after this point is not valid YAML.", e.Message);
    }

    [Fact]
    public void A_byte_order_mark_is_not_part_of_the_first_field()
    {
        Assert.True(SearchSpaceLoader.TryLoadFromText("\uFEFFname: t\nkind: activation\n", "t.yaml", out _, out var errors), string.Join("\n", errors));
    }
}
