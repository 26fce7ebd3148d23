using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Lockout.AppHost.Infrastructure;

namespace Lockout.Tests.Infrastructure;

/// <summary>
/// A redis-server of a test's own, for tests that pause, kill or restart Redis without disturbing the shared one.
/// </summary>
public sealed class RedisServerProcess : IDisposable
{
    private readonly DirectoryInfo _data;
    private Process _process;

    private readonly string _appendFsync;
    private readonly string _adminPassword = Guid.NewGuid().ToString("N");
    private readonly string _apiPassword = Guid.NewGuid().ToString("N");
    private readonly string _relayPassword = Guid.NewGuid().ToString("N");

    private RedisServerProcess(int port, DirectoryInfo data, string appendFsync)
    {
        Port = port;
        _data = data;
        _appendFsync = appendFsync;
        _process = Launch();
    }

    public int Port { get; }

    /// <summary>The default user, for the test itself.</summary>
    public string ConnectionString => $"127.0.0.1:{Port},password={_adminPassword}";

    /// <summary>The API's and the relay's users, defined as the AppHost defines them.</summary>
    public RedisLogins Logins => new($"127.0.0.1:{Port},user={RedisUsers.Api},password={_apiPassword}", $"127.0.0.1:{Port},user={RedisUsers.Relay},password={_relayPassword}");

    /// <summary>Settings that point the API's connections at this server.</summary>
    public Dictionary<string, string?> ApiSettings() => new()
    {
        ["ConnectionStrings:redis"] = Logins.Api,
        ["ConnectionStrings:redis-relay"] = Logins.Relay,
    };

    public int ProcessId => _process.Id;

    /// <summary>Starts redis-server on a free loopback port, with an append-only file, and waits until it answers.</summary>
    /// <param name="appendFsync">When the append-only file is synced: <c>everysec</c> as in production, or <c>always</c>.</param>
    public static async Task<RedisServerProcess> StartAsync(string appendFsync = "everysec")
    {
        var server = new RedisServerProcess(FreePort(), Directory.CreateTempSubdirectory("lockout-redis-test"), appendFsync);
        await server.WaitUntilAnsweringAsync();
        return server;
    }

    /// <summary>SIGSTOP: the process keeps its connections open and answers nothing, as a stalled server does.</summary>
    public void Pause() => Signal("STOP");

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public void Resume() => Signal("CONT");

    /// <summary>SIGKILL, then a start from the same append-only file on the same port.</summary>
    public async Task KillAndRestartAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
        _process = Launch();
        await WaitUntilAnsweringAsync();
    }

    public void Dispose()
    {
        Signal("CONT");
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
        _data.Delete(recursive: true);
    }

    private Process Launch()
    {
        var redisServer = LocalToolchain.Find(out var missing)?.RedisServer ?? throw new InvalidOperationException($"{missing} is not installed.");
        return Process.Start(new ProcessStartInfo(redisServer,
        [
            "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
            "--dir", _data.FullName, "--appendonly", "yes", "--appendfsync", _appendFsync, "--save", "",
            .. RedisUsers.DefaultUserArguments(_adminPassword),
            .. RedisUsers.UserArguments(RedisUsers.Api, _apiPassword, RedisUsers.ApiRules),
            .. RedisUsers.UserArguments(RedisUsers.Relay, _relayPassword, RedisUsers.RelayRules),
        ])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("Could not start redis-server.");
    }

    private async Task WaitUntilAnsweringAsync() =>
        await Poll.UntilAsync(async () =>
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(20), "redis-server to listen");

    private void Signal(string signal)
    {
        if (_process.HasExited)
        {
            return;
        }

        using var kill = Process.Start("kill", [$"-{signal}", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
