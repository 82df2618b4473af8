using ActSearch.Expressions;

namespace ActSearch.Cli;

/// <summary>`actsearch export`: an activation from the catalog as code (GET /api/activations/{id}/export).</summary>
public sealed class ExportCommand : ClientCommand
{
    public override string Name => "export";

    public override string Usage => """
        export <activation-id> [--format pytorch|torchsharp|latex|sympy] [--out FILE] [--server URL] [--token T]   an activation as code
          <activation-id>  the 16 hex digits of its fingerprint (the ID column of actsearch activations)
          --format     pytorch (an nn.Module, the default), torchsharp (a C# module), latex, or sympy (a runnable snippet)
          --out        write the code to FILE instead of standard output
        """ + "\n" + ServerOptions;

    protected override async Task<int> ExecuteAsync(ArgReader args, TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        using var api = await ApiClient.ForReadsAsync(args, cancellation);
        string formatText = args.Option("--format") ?? "pytorch";
        string? output = args.Option("--out");
        string id = args.Positionals(1, 1, "the activation id (see actsearch activations)")[0].Trim().ToLowerInvariant();
        if (!Exports.TryParseFormat(formatText, out var format))
            throw new UsageException($"option --format must be one of {string.Join(", ", Exports.Formats.Select(f => f.Name))}, got '{formatText}'.");
        if (id.Length != 16 || !id.All(Uri.IsHexDigit))
            throw new UsageException($"'{id}' is not an activation id (16 hex digits, the ID column of actsearch activations).");

        string code = await api.ExportAsync(id, Exports.FormatName(format), cancellation);
        if (output is null)
        {
            stdout.Write(code.EndsWith('\n') ? code : code + "\n");
            return CliApp.Ok;
        }
        try
        {
            await File.WriteAllTextAsync(output, code.EndsWith('\n') ? code : code + "\n", cancellation);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot write {output}: {e.Message}");
        }
        stderr.WriteLine($"wrote {Exports.FormatName(format)} export of {id} to {output}");
        return CliApp.Ok;
    }
}
