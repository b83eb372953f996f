namespace Switchyard.Cli.Commands;

// Progress<T> posts to the thread pool; reports must arrive in order, on the training thread.
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
