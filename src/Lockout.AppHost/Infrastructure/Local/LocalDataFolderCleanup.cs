using Microsoft.Extensions.Hosting;

namespace Lockout.AppHost.Infrastructure.Local;

/// <summary>Stops the run's servers and deletes its data folder once the AppHost has stopped.</summary>
/// <remarks>
/// In <see cref="StoppedAsync"/>, after every hosted service, Aspire's orchestrator included, has stopped. The
/// orchestrator only asks DCP to stop the resources, which it does after the AppHost has exited; by then the folder
/// would long be gone, so the servers are stopped here (the API and the writer, still running for those seconds, see
/// their connections close).
/// </remarks>
internal sealed class LocalDataFolderCleanup(LocalDataFolder data) : IHostedLifecycleService
{
    private static readonly TimeSpan ServerStopTimeout = TimeSpan.FromSeconds(10);

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        await data.StopServersAsync(ServerStopTimeout, cancellationToken);
        data.Delete();
    }
}
