namespace ActSearch.Cli;

public sealed class FitCommand : ICommand
{
    public string Name => "fit";

    public string Usage => "fit --target <formula|csv> [--seed S] [--budget N] [--json]   symbolic regression of a curve (CPU only)";

    public Task<int> RunAsync(ArgReader args, TextWriter stdout, TextWriter stderr, CancellationToken cancellation) =>
        throw new UsageException("not wired yet");
}
