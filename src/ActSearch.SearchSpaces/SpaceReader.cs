using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using ActSearch.Evaluation.Objectives;
using ActSearch.Evaluation.Rejection;
using ActSearch.Evaluation.Tasks;
using ActSearch.Evolution;
using ActSearch.Expressions;
using ActSearch.SearchSpaces.Yaml;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ActSearch.SearchSpaces;

/// <summary>
/// The schema: reads one YAML document into a <see cref="SearchSpace"/>, section by section, in the order
/// search-spaces/README.md documents them. Every check reports to <see cref="Diagnostics"/> and reading goes on
/// with the default, so one run lists every error.
/// </summary>
internal sealed partial class SpaceReader(Diagnostics d, string source, SearchSpaceLoadOptions options)
{
    private static readonly string[] RootFields =
        ["name", "description", "kind", "seed", "tasks", "genome", "evolution", "objectives", "budget", "fidelity", "surrogate", "rejection", "seeds"];

    private static readonly string[] GenomeFields =
    [
        "representation", "unary", "binary", "aggregates", "groups", "constants", "max_parameters", "parameter_initials",
        "parameter_shape", "min_core_units", "max_core_units", "core_unit_identity", "max_nodes", "max_depth",
        "init_min_depth", "init_max_depth", "mutation_min_depth", "mutation_max_depth", "mutation_full_trees",
        "perturb_scale", "max_variation_attempts",
    ];

    private static readonly string[] EvolutionFields =
        ["mode", "strategy", "population", "tournament", "offspring_per_generation", "crossover_rate", "operators", "constant_optimization"];

    private static readonly string[] OperatorFields = [.. OperatorRegistry.Fields];

    private static readonly string[] ConstantOptimizationFields = ["enabled", "iterations", "probability"];

    private static readonly string[] BudgetFields = ["evaluations", "wall_time"];

    private static readonly string[] FidelityFields = ["eta", "rungs"];

    private static readonly string[] RungFields = ["steps", "seeds", "min_accuracy", "data"];

    private static readonly string[] SurrogateFields =
        ["enabled", "candidates", "acquisition", "exploration", "objective", "features", "min_observations", "max_observations", "warm_start"];

    private static readonly (string, SurrogateFeatureKind)[] FeatureKinds =
        [("probe", SurrogateFeatureKind.Probe), ("fisher", SurrogateFeatureKind.Fisher), ("both", SurrogateFeatureKind.Both)];

    private static readonly (string, Acquisition)[] Acquisitions =
        [("ei", Acquisition.ExpectedImprovement), ("ucb", Acquisition.UpperConfidenceBound), ("mean", Acquisition.Mean)];

    /// <summary>The most training runs one rung may ask for per task (steps x seeds bounds a candidate's cost).</summary>
    private const int MaxRungSteps = 1_000_000, MaxRungSeeds = 100;

    /// <summary>A rung's <c>data</c>: the tasks' committed subsets (the default) or their full data sets.</summary>
    private static readonly (string, bool)[] DataValues = [("subset", false), ("full", true)];

    private static readonly string[] ObjectiveFields = ["name", "task", "direction"];

    private static readonly string[] SeedFields = ["name", "formula"];

    private static readonly string[] RejectionFields = ["static", "numeric", "duplicate", "stability", "quality"];

    private static readonly (string, SearchSpaceKind)[] Kinds = [("activation", SearchSpaceKind.Activation), ("layer", SearchSpaceKind.Layer)];

    private static readonly (string, Representation)[] Representations =
        [("core_unit", Representation.CoreUnit), ("tree", Representation.Tree), ("graph", Representation.Graph)];

    private static readonly (string, ParameterShape)[] Shapes = [("scalar", ParameterShape.Scalar), ("channel", ParameterShape.PerChannel)];

    private static readonly (string, SelectionStrategy)[] Strategies = [.. StrategyRegistry.All.Select(s => (s.Name, s.Value))];

    private static readonly (string, EvolutionMode)[] Modes = [("steady_state", EvolutionMode.SteadyState), ("generational", EvolutionMode.Generational)];

    private static readonly (string, ObjectiveDirection)[] Directions =
        [("maximize", ObjectiveDirection.Maximize), ("minimize", ObjectiveDirection.Minimize)];

    private static PrimitiveRegistry Registry => PrimitiveRegistry.Default;

    public SearchSpace? Read(YamlNode root)
    {
        if (root is not YamlMappingNode)
        {
            d.Add(root, $"a search space is a mapping of fields (name: value), found {Scalars.Describe(root)}.");
            return null;
        }
        var top = Section.Open(d, root, "", RootFields);

        string? name = top.String("name", required: true);
        if (name is not null && !NamePattern().IsMatch(name))
            d.Add(top.Value("name")!, $"'name' must be 1 to 64 lower-case letters, digits, '-', '_' or '.', starting with a letter or digit; found {Scalars.Quote(name)}.");
        string description = top.String("description") ?? "";
        if (!top.Has("kind")) d.Add(top.Anchor, "missing required field 'kind' (activation or layer).");
        var kind = top.Enum("kind", SearchSpaceKind.Activation, Kinds);
        ulong seed = top.ULong("seed", SearchSpaceDefaults.Seed);

        var tasks = ReadTasks(top, kind);
        var genome = ReadGenome(top.Child("genome", GenomeFields), kind);
        var evolution = top.Child("evolution", EvolutionFields);
        var (selection, operators, constants) = ReadEvolution(evolution);
        var objectives = ReadObjectives(top, tasks);
        var budget = ReadBudget(top.Child("budget", BudgetFields));
        var fidelitySection = top.Child("fidelity", FidelityFields);
        var fidelity = ReadFidelity(fidelitySection, selection, evolution, tasks);
        if (fidelity.Enabled)
        {
            // Promotion ranks by what a longer training can change; an objective of the formula alone is the same at every rung.
            ImmutableArray<int> promoteBy = [.. objectives.Select((o, i) => (o, i))
                .Where(t => options.Objectives.FirstOrDefault(x => x.Name == t.o.Name)?.Source != ObjectiveSource.Graph).Select(t => t.i)];
            if (promoteBy.IsEmpty && !objectives.IsEmpty)
                d.Add(fidelitySection.Node!, $"'fidelity' needs an objective that training measures (accuracy, loss, ...): {string.Join(", ", objectives.Select(o => o.Key))} are the same at every rung.");
            fidelity = fidelity with { PromoteBy = promoteBy };
        }
        var surrogate = ReadSurrogate(top.Child("surrogate", SurrogateFields), selection, evolution, objectives);
        var rejection = ReadRejection(top.Child("rejection", RejectionFields), genome, tasks, qualityIsRung: fidelity.Rung(0).MinAccuracy is not null);
        var seeds = ReadSeeds(top, genome, kind);

        if (d.HasErrors) return null;
        return new SearchSpace
        {
            Name = name!,
            Description = description.Trim(),
            Kind = kind,
            Seed = seed,
            Tasks = tasks,
            Rejection = rejection,
            Seeds = seeds,
            Source = d.File,
            Evolution = new EvolutionOptions
            {
                Genome = genome,
                Operators = operators,
                Selection = selection,
                ConstantOptimization = constants,
                Objectives = objectives,
                Budget = budget,
                Fidelity = fidelity,
                Surrogate = surrogate,
                FingerprintCacheSize = rejection.Duplicate.CacheSize,
                InitialGenomes = [.. seeds.Select(s => s.Expr)],
            },
        };
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    private ImmutableArray<string> ReadTasks(Section top, SearchSpaceKind kind)
    {
        var items = top.List("tasks");
        if (items is null) return SearchSpaceDefaults.Tasks(kind);
        if (items.Count == 0) d.Add(top.Value("tasks")!, "'tasks' needs at least one proxy task.");
        var tasks = ImmutableArray.CreateBuilder<string>();
        foreach (var item in items)
        {
            if (CheckTask(item, "'tasks' item") is not { } task) continue;
            if (tasks.Contains(task)) d.Add(item, $"task '{task}' is listed twice.");
            else tasks.Add(task);
        }
        return tasks.Count > 0 ? tasks.ToImmutable() : SearchSpaceDefaults.Tasks(kind);
    }

    /// <summary>A known task name, or null (reported) for anything else.</summary>
    private string? CheckTask(YamlNode node, string label)
    {
        var text = Scalars.Text(d, node, label);
        if (text is null) return null;
        if (options.Tasks.Contains(text)) return text;
        d.Add(node, $"unknown task '{Scalars.Shorten(text)}'{Suggestions.DidYouMean(text, options.Tasks)}; the known tasks are: {string.Join(", ", options.Tasks)}.");
        return null;
    }

    private GenomeOptions ReadGenome(Section g, SearchSpaceKind kind)
    {
        var defaults = new GenomeOptions();
        bool layer = kind == SearchSpaceKind.Layer;
        var unary = ReadPrimitives(g, "unary", PrimitiveKind.Unary, defaults.Unary, kind);
        var binary = ReadPrimitives(g, "binary", PrimitiveKind.Binary, defaults.Binary, kind);
        var aggregates = ReadPrimitives(g, "aggregates", PrimitiveKind.Aggregate, layer ? SearchSpaceDefaults.LayerAggregates : [], kind);
        if (layer && g.Value("aggregates") is { } aggNode && (Scalars.IsNull(aggNode) || aggNode is YamlSequenceNode { Children.Count: 0 }))
            d.Add(aggNode, "a layer space needs at least one aggregate (e.g. batch_mean, instance_std); without them it is an activation space.");
        var representation = g.Enum("representation", layer ? Representation.Graph : Representation.Tree, Representations);
        if (unary.Length + binary.Length + aggregates.Length == 0 && (g.Has("unary") || g.Has("binary")))
            d.Add(g.Node ?? (YamlNode)g.Value("unary")!, "the genome has no primitives: list some under 'unary', 'binary' or 'aggregates'.");
        if (representation == Representation.CoreUnit && binary.IsEmpty && g.Value("binary") is { } binaryNode)
            d.Add(binaryNode, "a core unit is binary(unary(x), unary(x)): 'genome.binary' needs at least one primitive.");

        int maxParameters = g.Int("max_parameters", layer ? 2 : defaults.MaxParameters, 0, 64);
        var initials = ReadNumbers(g, "parameter_initials", layer ? [0.0, 1.0] : defaults.ParameterInitials);
        if (initials.IsEmpty && g.Value("parameter_initials") is { } initNode)
            d.Add(initNode, "'genome.parameter_initials' needs at least one value.");

        int maxDepth = g.Int("max_depth", defaults.MaxDepth, 1, 100);
        int initMin = g.Int("init_min_depth", defaults.InitMinDepth, 1, 100);
        int initMax = g.Int("init_max_depth", defaults.InitMaxDepth, 1, 100);
        int mutMin = g.Int("mutation_min_depth", defaults.MutationMinDepth, 1, 100);
        int mutMax = g.Int("mutation_max_depth", defaults.MutationMaxDepth, 1, 100);
        int minUnits = g.Int("min_core_units", defaults.MinCoreUnits, 1, 16);
        int maxUnits = g.Int("max_core_units", defaults.MaxCoreUnits, 1, 16);
        InOrder(g, "init_min_depth", initMin, "init_max_depth", initMax);
        InOrder(g, "init_max_depth", initMax, "max_depth", maxDepth);
        InOrder(g, "mutation_min_depth", mutMin, "mutation_max_depth", mutMax);
        InOrder(g, "min_core_units", minUnits, "max_core_units", maxUnits);

        return new GenomeOptions
        {
            Representation = representation,
            Unary = unary,
            Binary = binary,
            Aggregates = aggregates,
            Groups = g.Int("groups", defaults.Groups, 1, 65536),
            Constants = ReadNumbers(g, "constants", defaults.Constants),
            MaxParameters = maxParameters,
            ParameterInitials = initials.IsEmpty ? defaults.ParameterInitials : initials,
            ParameterShape = g.Enum("parameter_shape", layer ? ParameterShape.PerChannel : ParameterShape.Scalar, Shapes),
            MinCoreUnits = minUnits,
            MaxCoreUnits = maxUnits,
            CoreUnitIdentity = g.Bool("core_unit_identity", defaults.CoreUnitIdentity),
            MaxNodes = g.Int("max_nodes", defaults.MaxNodes, 1, 1000),
            MaxDepth = maxDepth,
            InitMinDepth = initMin,
            InitMaxDepth = initMax,
            MutationMinDepth = mutMin,
            MutationMaxDepth = mutMax,
            MutationFullTrees = g.Bool("mutation_full_trees", defaults.MutationFullTrees),
            PerturbScale = g.Double("perturb_scale", defaults.PerturbScale, 0, 100, minExclusive: true),
            MaxVariationAttempts = g.Int("max_variation_attempts", defaults.MaxVariationAttempts, 1, 1000),
        };
    }

    /// <summary>Reports low > high at whichever of the two fields the file sets (defaults alone are always in order).</summary>
    private void InOrder(Section s, string lowName, int low, string highName, int high)
    {
        if (low <= high) return;
        var node = s.Value(highName) ?? s.Value(lowName);
        if (node is not null) d.Add(node, $"{s.Label(lowName)} ({low}) must not exceed {s.Label(highName)} ({high}).");
    }

    private ImmutableArray<string> ReadPrimitives(Section g, string field, PrimitiveKind wanted, ImmutableArray<string> @default, SearchSpaceKind kind)
    {
        var items = g.List(field);
        if (items is null) return @default;
        var names = ImmutableArray.CreateBuilder<string>();
        foreach (var item in items)
        {
            var text = Scalars.Text(d, item, $"{g.Label(field)} item");
            if (text is null) continue;
            if (LearnedUnit.IsSpec(text) && !LearnedUnit.TryResolve(text, out _, out string? why))
                d.Add(item, $"learned unit '{Scalars.Shorten(text)}': {why}");
            else if (!Registry.TryGet(text, out var p))
            {
                var sameKind = Registry.All.Where(q => q.Kind == wanted).Select(q => q.Name);
                string hint = Suggestions.DidYouMean(text, sameKind) is { Length: > 0 } h ? h : Suggestions.DidYouMean(text, Registry.All.Select(q => q.Name));
                d.Add(item, $"unknown primitive '{Scalars.Shorten(text)}'{hint}.");
            }
            else if (p.Kind != wanted)
                d.Add(item, $"'{text}' is {KindName(p.Kind)}, not {KindName(wanted)}; list it under 'genome.{FieldOf(p.Kind)}'.");
            else if (wanted == PrimitiveKind.Aggregate && kind == SearchSpaceKind.Activation)
                d.Add(item, $"aggregate '{text}' is not allowed in an activation space: aggregates reduce over tensor axes and need 'kind: layer'.");
            // Learned units by their canonical spec ("rational{ 5, 4 }" is "rational{5,4}"), as formulas name them.
            else if (names.Contains(p.Name))
                d.Add(item, $"primitive '{text}' is listed twice.");
            else names.Add(p.Name);
        }
        return names.ToImmutable();
    }

    private static string KindName(PrimitiveKind k) => k switch
    {
        PrimitiveKind.Unary => "a unary primitive",
        PrimitiveKind.Binary => "a binary primitive",
        _ => "an aggregate",
    };

    private static string FieldOf(PrimitiveKind k) => k switch
    {
        PrimitiveKind.Unary => "unary",
        PrimitiveKind.Binary => "binary",
        _ => "aggregates",
    };

    private ImmutableArray<double> ReadNumbers(Section s, string field, ImmutableArray<double> @default)
    {
        var items = s.List(field);
        if (items is null) return @default;
        if (items.Count > 256)
        {
            d.Add(s.Value(field)!, $"{s.Label(field)} has {items.Count} values; at most 256 are allowed.");
            return @default;
        }
        var values = ImmutableArray.CreateBuilder<double>();
        foreach (var item in items)
            if (Scalars.Finite(d, item, $"{s.Label(field)} item") is { } v) values.Add(v);
        return values.ToImmutable();
    }

    private (SelectionOptions, OperatorWeights, ConstantOptimizationOptions) ReadEvolution(Section e)
    {
        var sd = new SelectionOptions();
        int population = e.Int("population", sd.PopulationSize, 2, 100_000);
        int tournament = e.Int("tournament", sd.TournamentSize, 1, 100_000);
        if (tournament > population)
        {
            var node = e.Value("tournament") ?? e.Value("population");
            if (node is not null) d.Add(node, $"'evolution.tournament' ({tournament}) must not exceed 'evolution.population' ({population}).");
        }
        var selection = new SelectionOptions
        {
            // Steady state unless a space asks for generations: every slot stays busy (SelectionOptions' own default is
            // generational, for the engine's in-process users).
            Mode = e.Enum("mode", EvolutionMode.SteadyState, Modes),
            Strategy = e.Enum("strategy", sd.Strategy, Strategies),
            PopulationSize = population,
            TournamentSize = Math.Min(tournament, population),
            OffspringPerGeneration = e.Int("offspring_per_generation", sd.OffspringPerGeneration, 1, 100_000),
            CrossoverRate = e.Double("crossover_rate", sd.CrossoverRate, 0, 1),
        };

        var o = e.Child("operators", OperatorFields);
        var od = new OperatorWeights();
        var operators = od;
        foreach (var op in OperatorRegistry.All) operators = op.WithWeight(operators, o.Double(op.Field, op.Weight(od), 0, 1e6));
        if (o.Node is { } opNode && OperatorRegistry.TotalWeight(operators) <= 0)
            d.Add(opNode, "every operator weight is 0: at least one operator must be able to make children.");

        var c = e.Child("constant_optimization", ConstantOptimizationFields);
        var cd = new ConstantOptimizationOptions();
        var constants = new ConstantOptimizationOptions
        {
            // Off unless asked for, as the engine's own default: it pays off for regression, not for training proxies.
            Enabled = c.Bool("enabled", c.Node is not null && cd.Enabled),
            Iterations = c.Int("iterations", cd.Iterations, 1, 10_000),
            Probability = c.Double("probability", cd.Probability, 0, 1),
        };
        return (selection, operators, constants);
    }

    private ImmutableArray<Objective> ReadObjectives(Section top, ImmutableArray<string> tasks)
    {
        var items = top.List("objectives");
        if (items is null) return [.. tasks.Select(t => new Objective("accuracy", ObjectiveDirection.Maximize, t))];
        if (items.Count == 0) d.Add(top.Value("objectives")!, "'objectives' needs at least one objective.");
        var list = ImmutableArray.CreateBuilder<Objective>();
        foreach (var item in items)
        {
            if (ReadObjective(item, tasks) is not { } objective) continue;
            if (list.Any(o => o.Key == objective.Key)) d.Add(item, $"objective '{objective.Key}' is listed twice.");
            else list.Add(objective);
        }
        return list.ToImmutable();
    }

    /// <summary>An objective is <c>name@task</c> (direction from the objective) or a mapping with name, task and direction.</summary>
    private Objective? ReadObjective(YamlNode item, ImmutableArray<string> tasks)
    {
        string? name, task = null;
        YamlNode nameNode = item, taskNode = item;
        ObjectiveDirection? direction = null;
        if (item is YamlMappingNode)
        {
            var s = Section.Open(d, item, "objectives item", ObjectiveFields);
            name = s.String("name", required: true);
            nameNode = s.Value("name") ?? item;
            if (s.Value("task") is { } t)
            {
                taskNode = t;
                task = CheckTask(t, "'task' of the objective");
                if (task is null) return null;
            }
            if (s.Has("direction")) direction = s.Enum("direction", ObjectiveDirection.Maximize, Directions);
        }
        else
        {
            var text = Scalars.Text(d, item, "an objective");
            if (text is null) return null;
            int at = text.IndexOf('@', StringComparison.Ordinal);
            name = at < 0 ? text : text[..at];
            if (at >= 0)
            {
                task = text[(at + 1)..];
                if (!options.Tasks.Contains(task))
                {
                    d.Add(item, $"unknown task '{Scalars.Shorten(task)}' in objective '{Scalars.Shorten(text)}'{Suggestions.DidYouMean(task, options.Tasks)}; the known tasks are: {string.Join(", ", options.Tasks)}.");
                    return null;
                }
            }
        }
        if (name is null) return null;
        var known = options.Objectives.FirstOrDefault(o => o.Name == name);
        if (known is null)
        {
            d.Add(nameNode, $"unknown objective '{Scalars.Shorten(name)}'{Suggestions.DidYouMean(name, options.Objectives.Select(o => o.Name))}; the known objectives are: {string.Join(", ", options.Objectives.Select(o => o.Name))}.");
            return null;
        }
        if (known.PerTask && task is null)
        {
            d.Add(nameNode, $"objective '{name}' is measured per task: write it as '{name}@<task>', e.g. '{name}@{tasks[0]}'.");
            return null;
        }
        if (!known.PerTask && task is not null)
        {
            d.Add(taskNode, $"objective '{name}' does not depend on a task; write it without '@{task}'.");
            return null;
        }
        if (task is not null && !tasks.Contains(task))
        {
            d.Add(taskNode, $"objective '{name}@{task}' needs task '{task}' in 'tasks' (the candidate is only trained on those).");
            return null;
        }
        if (name == ObjectiveRegistry.RobustGain && tasks.FirstOrDefault(t => !TaskCatalog.TryGet(t, out var spec) || spec.Reference is null) is { } unreferenced)
        {
            d.Add(nameNode, $"objective '{name}' measures gains over each task's reference score, and task '{unreferenced}' has none; " +
                $"tasks with one: {string.Join(", ", TaskCatalog.All.Where(t => t.Reference is not null).Select(t => t.Name))}.");
            return null;
        }
        return new Objective(name, direction ?? known.Direction, task);
    }

    private Budget ReadBudget(Section b)
    {
        if (b.Node is null) return new Budget(Evaluations: SearchSpaceDefaults.Evaluations);
        int? evaluations = b.OptionalInt("evaluations", 1, SearchSpaceDefaults.MaxEvaluations);
        TimeSpan? wall = null;
        if (b.Value("wall_time") is { } node && Scalars.Literal(d, node, "'budget.wall_time'", "a duration such as 90s, 30m, 2h or 1h30m") is { } text)
        {
            wall = ParseDuration(text);
            if (wall is null) d.Add(node, $"'budget.wall_time' must be a duration such as 90s, 30m, 2h or 1h30m (at most 365d), found {Scalars.Quote(text)}.");
        }
        if (!b.Has("evaluations") && !b.Has("wall_time"))
            d.Add(b.Node, "'budget' needs 'evaluations', 'wall_time' or both (the search stops at whichever comes first).");
        return new Budget(evaluations, wall);
    }

    /// <summary>
    /// <c>fidelity:</c> ASHA's rungs, lowest first, each <c>{steps: N, seeds: K}</c> (steps left out: each task's own),
    /// and the reduction factor <c>eta</c>. Each rung must train more than the one below; promotion needs steady state.
    /// </summary>
    private FidelityOptions ReadFidelity(Section f, SelectionOptions selection, Section evolution, ImmutableArray<string> tasks)
    {
        var none = new FidelityOptions();
        if (f.Node is null) return none;
        double eta = f.Double("eta", none.Eta, 1, 1000, minExclusive: true);
        var items = f.List("rungs");
        if (items is null)
        {
            if (!f.Has("rungs")) d.Add(f.Node, "'fidelity' needs 'rungs', lowest first, such as [{steps: 100}, {steps: 300}, {steps: 1000, seeds: 3}].");
            return none;
        }
        if (items.Count < 2)
            d.Add(f.Value("rungs")!, "'fidelity.rungs' needs at least two rungs: one rung promotes nothing (leave 'fidelity' out to train every candidate alike).");
        var rungs = ImmutableArray.CreateBuilder<FidelityRung>(items.Count);
        for (int i = 0; i < items.Count; i++)
        {
            var r = Section.Open(d, items[i], $"fidelity.rungs[{i}]", RungFields);
            if (r.Node is null) continue;
            bool full = r.Enum("data", false, DataValues);
            if (full && r.Value("data") is { } data && tasks.Where(t => TaskCatalog.TryGet(t, out var spec) && spec.FullData is null).ToList() is { Count: > 0 } lacking)
                d.Add(data, $"{r.Label("data")}: task{(lacking.Count == 1 ? "" : "s")} {string.Join(", ", lacking)} {(lacking.Count == 1 ? "has" : "have")} no full data set; " +
                    $"full data exists for {string.Join(", ", TaskCatalog.All.Where(t => t.FullData is not null).Select(t => t.Name))}.");
            if (r.Node.Children.Count == 0) // (a misspelt field is reported as unknown)
                d.Add(r.Node, $"'fidelity.rungs[{i}]' needs 'steps', 'seeds' or both (e.g. {{steps: 300}}).");
            double? minAccuracy = r.Has("min_accuracy") ? r.Double("min_accuracy", 0, 0, 1) : null;
            if (i > 0 && r.KeyNode("min_accuracy") is { } minNode)
                d.Add(minNode, $"'fidelity.rungs[{i}].min_accuracy': only the lowest rung rejects by accuracy (EvoNorms' quality probe); a promoted candidate passed it there.");
            var rung = new FidelityRung(r.OptionalInt("steps", 1, MaxRungSteps), r.Int("seeds", 1, 1, MaxRungSeeds), minAccuracy, full);
            if (rungs.Count > 0 && rungs[^1] is var below && !TrainsMore(rung, below))
                d.Add(r.Node, $"'fidelity.rungs[{i}]' ({rung}) must train more than the rung below it ({below}): more steps, more seeds or full data, and none of them less.");
            rungs.Add(rung);
        }
        if (selection.Mode != EvolutionMode.SteadyState)
        {
            d.Add(evolution.Value("mode") ?? f.Node, "'fidelity' needs 'evolution.mode: steady_state': promotions happen as outcomes arrive, which a generational search does not do.");
        }
        return new FidelityOptions { Rungs = rungs.ToImmutable(), Eta = eta };

        // Steps left out mean each task's own: against a number, only a difference and the seeds are checked.
        static bool TrainsMore(FidelityRung upper, FidelityRung lower)
        {
            bool stepsKnown = upper.Steps is not null && lower.Steps is not null;
            if (upper.Seeds < lower.Seeds || (stepsKnown && upper.Steps < lower.Steps) || (lower.FullData && !upper.FullData)) return false;
            return upper.Seeds > lower.Seeds || (upper.FullData && !lower.FullData) || (stepsKnown ? upper.Steps > lower.Steps : upper.Steps != lower.Steps);
        }
    }

    /// <summary>
    /// <c>surrogate:</c> pre-screening by a Gaussian process on probe features (steady state only): children bred per slot,
    /// the acquisition rule and its exploration, the objective it predicts (by key; default the first that training
    /// measures), how many values it needs before it screens, the most it fits on, and whether it starts from the catalog.
    /// </summary>
    private SurrogateOptions ReadSurrogate(Section s, SelectionOptions selection, Section evolution, ImmutableArray<Objective> objectives)
    {
        var none = new SurrogateOptions();
        if (s.Node is null) return none;
        bool enabled = s.Bool("enabled", true);
        int candidates = s.Int("candidates", none.Candidates, 1, 256);
        var acquisition = s.Enum("acquisition", none.Acquisition, Acquisitions);
        double? exploration = s.Has("exploration") ? s.Double("exploration", 0, 0, 100) : null;
        int minObservations = s.Int("min_observations", none.MinObservations, 2, 100_000);
        int maxObservations = s.Int("max_observations", none.MaxObservations, 2, 5_000);
        if (maxObservations < minObservations && s.Value("max_observations") is { } maxNode)
            d.Add(maxNode, $"{s.Label("max_observations")} ({maxObservations}) must be at least 'min_observations' ({minObservations}).");
        bool warm = s.Bool("warm_start", none.WarmStart);
        var features = s.Enum("features", none.Features, FeatureKinds);
        bool Trained(Objective o) => options.Objectives.FirstOrDefault(x => x.Name == o.Name)?.Source != ObjectiveSource.Graph;
        int objective = -1;
        if (s.String("objective") is { } key)
        {
            objective = objectives.IndexOf(objectives.FirstOrDefault(o => o.Key == key)!);
            if (objective < 0)
                d.Add(s.Value("objective")!, $"{s.Label("objective")}: {Scalars.Quote(key)} is not one of the search's objectives ({string.Join(", ", objectives.Select(o => o.Key))}).");
            else if (!Trained(objectives[objective]))
                d.Add(s.Value("objective")!, $"{s.Label("objective")}: {key} is computed from the formula itself; a surrogate predicts what training measures.");
        }
        else
        {
            objective = objectives.Select((o, i) => (o, i)).Where(t => Trained(t.o)).Select(t => t.i).DefaultIfEmpty(-1).First();
            if (objective < 0 && !objectives.IsEmpty)
                d.Add(s.Node, $"'surrogate' needs an objective that training measures (accuracy, loss, ...): {string.Join(", ", objectives.Select(o => o.Key))} are computed from the formula itself.");
        }
        if (features != SurrogateFeatureKind.Probe && objective >= 0 && objectives[objective].Task is null && s.Value("features") is { } featuresNode)
            d.Add(featuresNode, $"{s.Label("features")}: the Fisher spectrum is measured on a task's network, and {objectives[objective].Key} names no task.");
        if (enabled && selection.Mode != EvolutionMode.SteadyState)
            d.Add(evolution.Value("mode") ?? s.Node, "'surrogate' needs 'evolution.mode: steady_state': it screens the children bred for each free slot.");
        return new SurrogateOptions
        {
            Enabled = enabled,
            Candidates = candidates,
            Acquisition = acquisition,
            Exploration = exploration,
            Objective = Math.Max(0, objective),
            Features = features,
            MinObservations = minObservations,
            MaxObservations = maxObservations,
            WarmStart = warm,
        };
    }

    /// <summary>Durations as people write them: <c>2h</c>, <c>30m</c>, <c>1h30m</c>, <c>1d</c>, <c>45s</c>.</summary>
    internal static TimeSpan? ParseDuration(string text)
    {
        var m = DurationPattern().Match(text);
        if (!m.Success || text.Length == 0) return null;
        double seconds = 0;
        foreach (var (group, unit) in new[] { ("d", 86400.0), ("h", 3600.0), ("m", 60.0), ("s", 1.0) })
            if (m.Groups[group].Success) seconds += long.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture) * unit;
        return seconds > 0 && seconds <= 365 * 86400.0 ? TimeSpan.FromSeconds(seconds) : null;
    }

    [GeneratedRegex(@"^(?:(?<d>\d{1,9})d)?(?:(?<h>\d{1,9})h)?(?:(?<m>\d{1,9})m)?(?:(?<s>\d{1,9})s)?$", RegexOptions.CultureInvariant)]
    private static partial Regex DurationPattern();

    /// <param name="qualityIsRung">The lowest fidelity rung has <c>min_accuracy</c>: it is the quality probe, so the
    /// separate stage is off unless asked for, and asking for it is an error (it would train every candidate twice).</param>
    private RejectionChainSettings ReadRejection(Section r, GenomeOptions genome, ImmutableArray<string> tasks, bool qualityIsRung)
    {
        var s = r.Child("static", ["enabled", "max_nodes", "max_depth", "max_parameters"]);
        var n = r.Child("numeric", ["enabled", "samples", "near_constant_std", "explosion_scale", "max_nonfinite_fraction"]);
        var u = r.Child("duplicate", ["enabled", "cache_size"]);
        var st = r.Child("stability", ["enabled", "max_gradient_norm"]);
        var q = r.Child("quality", ["enabled", "task", "steps", "min_accuracy"]);
        var defaults = new RejectionChainSettings();
        string qualityTask = q.Value("task") is { } taskNode ? CheckTask(taskNode, "'rejection.quality.task'") ?? tasks[0] : tasks[0];
        bool quality = q.Bool("enabled", !qualityIsRung);
        if (quality && qualityIsRung)
            d.Add(q.Value("enabled") ?? q.Node!, "'rejection.quality' is on, but 'fidelity.rungs[0].min_accuracy' already makes the lowest rung the quality probe; turn one off (enabled: false), or every candidate trains twice.");
        return new RejectionChainSettings
        {
            Static = defaults.Static with
            {
                Enabled = s.Bool("enabled", true),
                MaxNodes = s.Int("max_nodes", genome.MaxNodes, 1, 1000),
                MaxDepth = s.Int("max_depth", genome.MaxDepth, 1, 100),
                MaxParameters = s.Int("max_parameters", genome.MaxParameters, 0, 64),
            },
            Numeric = defaults.Numeric with
            {
                Enabled = n.Bool("enabled", true),
                Samples = n.Int("samples", defaults.Numeric.Samples, 10, 1_000_000),
                NearConstantStd = n.Double("near_constant_std", defaults.Numeric.NearConstantStd, 0, double.PositiveInfinity),
                ExplosionScale = n.Double("explosion_scale", defaults.Numeric.ExplosionScale, 0, double.PositiveInfinity, minExclusive: true),
                MaxNonFiniteFraction = n.Double("max_nonfinite_fraction", defaults.Numeric.MaxNonFiniteFraction, 0, 1),
            },
            Duplicate = defaults.Duplicate with
            {
                Enabled = u.Bool("enabled", true),
                CacheSize = u.Int("cache_size", defaults.Duplicate.CacheSize, 0, 100_000_000),
            },
            Stability = defaults.Stability with
            {
                Enabled = st.Bool("enabled", true),
                MaxGradientNorm = st.Double("max_gradient_norm", defaults.Stability.MaxGradientNorm, 0, double.PositiveInfinity, minExclusive: true),
            },
            Quality = defaults.Quality with
            {
                Enabled = quality,
                Task = qualityTask,
                Steps = q.Int("steps", defaults.Quality.Steps, 1, 1_000_000),
                MinAccuracy = q.Double("min_accuracy", defaults.Quality.MinAccuracy, 0, 1),
            },
        };
    }

    private ImmutableArray<SeedFormula> ReadSeeds(Section top, GenomeOptions genome, SearchSpaceKind kind)
    {
        var items = top.List("seeds");
        if (items is null) return [];
        var seeds = ImmutableArray.CreateBuilder<SeedFormula>();
        var parse = new ParseOptions { DefaultParameterShape = genome.ParameterShape };
        foreach (var item in items)
        {
            string? name = null;
            YamlNode? formulaNode = item;
            if (item is YamlMappingNode)
            {
                var s = Section.Open(d, item, "seeds item", SeedFields);
                name = s.String("name");
                formulaNode = s.Value("formula");
                if (formulaNode is null)
                {
                    d.Add(item, "missing required field 'formula' in the seed.");
                    continue;
                }
            }
            var text = Scalars.Text(d, formulaNode, name is null ? "a seed" : $"seed '{name}'");
            if (text is null) continue;
            string label = name is null ? "seed" : $"seed '{name}'";
            Expr expr;
            try
            {
                expr = ExprParser.Parse(text, parse);
            }
            catch (ExprParseException e)
            {
                ReportInFormula((YamlScalarNode)formulaNode, e.Position, $"{label}: {StripColumn(e.Message)}");
                continue;
            }
            if (CheckSeed(expr, (YamlScalarNode)formulaNode, label, genome, kind))
                seeds.Add(new SeedFormula(name, text, expr));
        }
        return seeds.ToImmutable();
    }

    /// <summary>A seed may only use the space's primitives and must keep the genome's limits, as every bred candidate does.</summary>
    private bool CheckSeed(Expr expr, YamlScalarNode node, string label, GenomeOptions genome, SearchSpaceKind kind)
    {
        bool ok = true;
        var reported = new HashSet<string>(StringComparer.Ordinal);
        foreach (var n in expr.Nodes())
        {
            var (op, allowed, field) = n switch
            {
                Unary u => (u.Op, genome.Unary, "unary"),
                Binary b => (b.Op, genome.Binary, "binary"),
                Aggregate a => (a.Op, genome.Aggregates, "aggregates"),
                _ => (null, default, ""),
            };
            if (op is null || allowed.Contains(op.Name) || !reported.Add(op.Name)) continue;
            ok = false;
            int at = FindCall(node.Value ?? "", op.Name);
            if (op.Kind == PrimitiveKind.Aggregate && kind == SearchSpaceKind.Activation)
                ReportInFormula(node, at, $"{label} uses the aggregate '{op.Name}', which an activation space does not allow (it needs 'kind: layer').");
            else
                ReportInFormula(node, at, $"{label} uses '{op.Name}', which is not in 'genome.{field}'.");
        }
        if (!ok) return false;
        if (GenomeRules.Violation(expr, genome) is { } violation)
        {
            d.Add(node, $"{label} breaks the genome's limits: {violation}.");
            return false;
        }
        return true;
    }

    /// <summary>Offset of the first call <c>name(</c> in a formula, or 0 when the primitive is written as an operator.</summary>
    private static int FindCall(string text, string name)
    {
        var m = Regex.Match(text, $@"(?<![A-Za-z0-9_]){Regex.Escape(name)}\s*\(", RegexOptions.CultureInvariant);
        return m.Success ? m.Index : 0;
    }

    private void ReportInFormula(YamlScalarNode node, int offset, string message)
    {
        if (FormulaPositions.Locate(source, node, offset) is { } at) d.Add(at.Line, at.Column, message);
        else d.Add(node, $"{message} (at character {offset + 1} of the formula)");
    }

    /// <summary>The parser's messages start with "column N: "; the loader gives the file position instead.</summary>
    private static string StripColumn(string message) =>
        message.StartsWith("column ", StringComparison.Ordinal) && message.IndexOf(": ", StringComparison.Ordinal) is > 0 and var i
            ? message[(i + 2)..] : message;
}
