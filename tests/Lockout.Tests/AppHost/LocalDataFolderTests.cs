using System.Diagnostics;
using Lockout.AppHost.Infrastructure;
using Lockout.AppHost.Infrastructure.Local;
using Lockout.Tests.Infrastructure;

namespace Lockout.Tests.AppHost;

/// <summary>
/// Local mode's data folder at shutdown: the servers working in it are stopped before it is deleted (Aspire's
/// orchestrator stops them only after the AppHost has exited), and a server working elsewhere is left alone.
/// </summary>
public sealed class LocalDataFolderTests
{
    [Fact]
    public async Task Stopping_the_servers_shuts_down_the_one_working_in_the_folder_and_leaves_one_elsewhere_running()
    {
        var data = LocalDataFolder.Create(Path.Combine(Path.GetTempPath(), $"lockout-data-folder-test-{Guid.NewGuid():N}"));
        using var elsewhere = await RedisServerProcess.StartAsync();
        using var inside = StartRedisIn(data.Redis);
        try
        {
            // redis-server changes to its --dir as it starts: until then nothing marks it as the folder's.
            await Poll.UntilAsync(
                () => Task.FromResult(new DirectoryInfo($"/proc/{inside.Id}/cwd").LinkTarget == data.Redis),
                TimeSpan.FromSeconds(20),
                "redis-server to work in the data folder");

            await data.StopServersAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

            // The server is this test's child: after it exits it is a zombie, with no working directory, until the
            // runtime reaps it, so HasExited may be false for a moment after the folder's scan stops seeing it.
            await Poll.UntilAsync(() => Task.FromResult(inside.HasExited), TimeSpan.FromSeconds(5), "the server working in the folder to exit");
            Assert.Equal(0, inside.ExitCode); // a shutdown it carried out (SIGINT), not a kill
            Assert.False(Process.GetProcessById(elsewhere.ProcessId).HasExited, "the server working elsewhere was stopped too");

            data.Delete();
            Assert.False(Directory.Exists(data.Root));
        }
        finally
        {
            if (!inside.HasExited)
            {
                inside.Kill();
            }

            Directory.Delete(Path.GetDirectoryName(data.Root)!, recursive: true); // this test's own parent folder
        }
    }

    private static Process StartRedisIn(string folder)
    {
        var redisServer = LocalToolchain.Find(out var missing)?.RedisServer ?? throw new InvalidOperationException($"{missing} is not installed.");
        // No TCP port, a socket in the folder instead (Redis exits when it listens nowhere): the test needs only a server
        // with its files there.
        return Process.Start(new ProcessStartInfo(redisServer,
            ["--port", "0", "--unixsocket", Path.Combine(folder, "redis.sock"), "--dir", folder, "--appendonly", "yes", "--save", ""])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("Could not start redis-server.");
    }
}
