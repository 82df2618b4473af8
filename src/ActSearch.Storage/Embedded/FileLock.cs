namespace ActSearch.Storage;

/// <summary>An exclusive lock between processes on a file (flock through FileShare.None), held until disposed.</summary>
internal sealed class FileLock : IAsyncDisposable
{
    private readonly FileStream _stream;

    private FileLock(FileStream stream) => _stream = stream;

    public static async Task<FileLock> AcquireAsync(string path, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                return new FileLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50, ct).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw new StorageException($"Another process holds {path} (starting or stopping the embedded server) for too long.", e);
            }
        }
    }

    public ValueTask DisposeAsync() => _stream.DisposeAsync();
}
