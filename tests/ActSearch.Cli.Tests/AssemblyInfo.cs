// The commands run in-process here and share process-wide state (libtorch's global generator and thread
// count, the console): one test at a time, as a user runs one command at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
