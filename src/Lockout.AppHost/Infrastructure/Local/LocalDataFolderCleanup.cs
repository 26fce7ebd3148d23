using Microsoft.Extensions.Hosting;

namespace Lockout.AppHost.Infrastructure.Local;

/// <summary>Deletes the run's data folder once the AppHost has stopped.</summary>
internal sealed class LocalDataFolderCleanup(LocalDataFolder data) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken)
    {
        data.Delete();
        return Task.CompletedTask;
    }
}
