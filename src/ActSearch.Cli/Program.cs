using System.Runtime.InteropServices;
using ActSearch.Cli;

// The first Ctrl+C asks the running command to stop cleanly (a search is cancelled and prints its front);
// a second one ends the process. SIGTERM (kill, a batch system, a service manager) asks the same once: a background
// `actsearch run` ignores SIGINT as background processes do, and kept training after SIGTERM before this.
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    if (cancel.IsCancellationRequested) return;
    e.Cancel = true;
    cancel.Cancel();
};
using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    if (cancel.IsCancellationRequested) return;
    context.Cancel = true;
    cancel.Cancel();
});
return await CliApp.RunAsync(args, Console.Out, Console.Error, cancel.Token);
