namespace ActSearch.Storage.Tests;

/// <summary>Entry point when the test assembly runs as the resume test's child process.</summary>
public static class Program
{
    public static Task<int> Main(string[] args) => ResumeChild.RunAsync(args);
}
