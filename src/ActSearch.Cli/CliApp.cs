namespace ActSearch.Cli;

/// <summary>A mistake in how the command was called or in its input: one line to stderr, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>The `actsearch` command line: dispatches to one command per verb (README.md lists them).</summary>
public static class CliApp
{
    public const int Ok = 0, Failure = 1, UserError = 2;

    private static readonly IReadOnlyList<ICommand> Commands =
    [
        new RunCommand(),
        new ServeCommand(),
        new ExprCommand(),
        new SpaceCommand(),
        new FitCommand(),
        new EvaluateCommand(),
        new BaselinesCommand(),
        new WorkerCommand(),
        new SubmitCommand(),
        new JobsCommand(),
        new WatchCommand(),
        new ActivationsCommand(),
        new ExportCommand(),
        new ReportCommand(),
        new CompareCommand(),
        new SurrogateCommand(),
    ];

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            stdout.Write(Usage());
            return args.Length == 0 ? UserError : Ok;
        }
        if (args[0] is "--version" or "version")
        {
            stdout.WriteLine(typeof(CliApp).Assembly.GetName().Version?.ToString(3) ?? "0.0.0");
            return Ok;
        }
        var command = Commands.FirstOrDefault(c => c.Name == args[0]);
        if (command is null)
        {
            stderr.WriteLine($"actsearch: unknown command '{args[0]}'. Run 'actsearch --help' for the list.");
            return UserError;
        }
        try
        {
            var reader = new ArgReader(args.AsSpan(1).ToArray());
            if (reader.Flag("--help") || reader.Flag("-h"))
            {
                stdout.WriteLine(command.Usage);
                return Ok;
            }
            return await command.RunAsync(reader, stdout, stderr, cancellation);
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"actsearch {command.Name}: {e.Message}");
            return UserError;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            stderr.WriteLine($"actsearch {command.Name}: cancelled.");
            return Failure;
        }
    }

    public static string Usage() =>
        "actsearch: evolutionary search for activation functions and normalization-activation layers\n\n" +
        "Commands:\n" + string.Concat(Commands.Select(c => $"  {c.Usage.Split('\n')[0]}\n")) +
        "\nRun 'actsearch <command> --help' for a command's options.\n";
}

/// <summary>One verb of the command line.</summary>
public interface ICommand
{
    string Name { get; }

    /// <summary>First line: the synopsis; the rest: options.</summary>
    string Usage { get; }

    Task<int> RunAsync(ArgReader args, TextWriter stdout, TextWriter stderr, CancellationToken cancellation);
}

/// <summary>
/// A small, strict argument reader: options are taken out by name, then <see cref="Positionals"/> checks
/// that nothing unknown is left, so a typo is an error instead of being ignored.
/// </summary>
public sealed class ArgReader(string[] args)
{
    private readonly List<string> _rest = [.. args];

    public bool Flag(string name)
    {
        int i = _rest.IndexOf(name);
        if (i < 0) return false;
        _rest.RemoveAt(i);
        return true;
    }

    /// <summary>Whether the option is given (as <c>--name value</c> or <c>--name=value</c>), without taking it.</summary>
    public bool Has(string name) => _rest.Any(a => a == name || a.StartsWith(name + "=", StringComparison.Ordinal));

    public string? Option(string name)
    {
        for (int i = 0; i < _rest.Count; i++)
        {
            if (_rest[i] == name)
            {
                if (i + 1 >= _rest.Count) throw new UsageException($"option {name} needs a value.");
                string value = _rest[i + 1];
                _rest.RemoveRange(i, 2);
                return value;
            }
            if (_rest[i].StartsWith(name + "=", StringComparison.Ordinal))
            {
                string value = _rest[i][(name.Length + 1)..];
                _rest.RemoveAt(i);
                return value;
            }
        }
        return null;
    }

    public IReadOnlyList<string> Options(string name)
    {
        var values = new List<string>();
        while (Option(name) is { } v) values.Add(v);
        return values;
    }

    public int? Int(string name, int min = int.MinValue, int max = int.MaxValue)
    {
        string? text = Option(name);
        if (text is null) return null;
        if (!int.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int v) || v < min || v > max)
            throw new UsageException($"option {name} must be a whole number from {min} to {max}, got '{text}'.");
        return v;
    }

    public double? Double(string name)
    {
        string? text = Option(name);
        if (text is null) return null;
        if (!double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
            throw new UsageException($"option {name} must be a number, got '{text}'.");
        return v;
    }

    public string Choice(string name, string fallback, params string[] allowed)
    {
        string value = Option(name) ?? fallback;
        if (!allowed.Contains(value)) throw new UsageException($"option {name} must be one of {string.Join(", ", allowed)}, got '{value}'.");
        return value;
    }

    /// <summary>The remaining arguments, which must all be positional (no unknown options).</summary>
    public IReadOnlyList<string> Positionals(int min, int max, string what)
    {
        var unknown = _rest.FirstOrDefault(a => a.StartsWith("--", StringComparison.Ordinal) && a.Length > 2);
        if (unknown is not null) throw new UsageException($"unknown option '{unknown}'.");
        if (_rest.Count < min) throw new UsageException($"missing {what}.");
        if (_rest.Count > max) throw new UsageException($"unexpected argument '{_rest[max]}'.");
        return _rest;
    }
}
