namespace ActSearch.Cli;

public sealed class SpaceCommand : ICommand
{
    public string Name => "space";

    public string Usage => "space validate <file.yaml>   check a search space; errors carry file:line:column";

    public Task<int> RunAsync(ArgReader args, TextWriter stdout, TextWriter stderr, CancellationToken cancellation) =>
        throw new UsageException("not wired yet");
}
