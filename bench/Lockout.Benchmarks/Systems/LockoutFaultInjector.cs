using System.Net;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Lockout.Benchmarks.Measurement;
using Npgsql;
using StackExchange.Redis;

namespace Lockout.Benchmarks.Systems;

/// <summary>
/// Breaks Lockout's infrastructure and services the way operations do, through the processes and commands its AppHost
/// runs: signals to the processes, Aspire's start command to bring one back (the orchestrator starts it again with the
/// same arguments and port; Redis reads its append-only file), and the mock broker's outage commands. Each fault
/// returns once what it broke answers again.
/// </summary>
internal sealed class LockoutFaultInjector(DistributedApplication app, string redisConnectionString, string databaseConnectionString, IPEndPoint api)
{
    private const int SigInt = 2;
    private const int SigKill = 9;

    private static readonly TimeSpan ReturnTimeout = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(50);

    private static readonly HttpClient Probe = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero, ConnectTimeout = TimeSpan.FromSeconds(1) })
    {
        Timeout = TimeSpan.FromSeconds(2),
    };

    /// <summary>SIGSTOP on redis-server for <paramref name="duration"/>, then SIGCONT: a stalled server, connections open.</summary>
    public async Task PauseRedisAsync(TimeSpan duration, CancellationToken cancellationToken)
    {
        var pid = Pid("redis");
        Signals.Send(pid, Signals.Stop);
        try
        {
            await Task.Delay(duration, cancellationToken);
        }
        finally
        {
            Signals.Send(pid, Signals.Continue);
        }

        await UntilAsync(RedisAnswersAsync, "Redis to answer after SIGCONT", cancellationToken);
    }

    /// <summary>SIGKILL on redis-server, then a start from its append-only file (appendfsync everysec).</summary>
    public Task KillAndRestartRedisAsync(CancellationToken cancellationToken) =>
        StopAndStartAsync(Infrastructure.RedisResource, "redis", SigKill, RedisAnswersAsync, cancellationToken);

    /// <summary>PostgreSQL's fast shutdown (SIGINT: sessions are ended, the server stops cleanly), then a start.</summary>
    public Task RestartPostgresAsync(CancellationToken cancellationToken) =>
        StopAndStartAsync(Infrastructure.PostgresResource, "postgres", SigInt, PostgresAnswersAsync, cancellationToken);

    /// <summary>SIGKILL on the writer mid-work (an open transaction, uncommitted offsets), then a start.</summary>
    public Task KillAndRestartWriterAsync(CancellationToken cancellationToken) =>
        StopAndStartAsync("writer", "writer", SigKill, token => AliveAsync(WriterEndpoint(), token), cancellationToken);

    /// <summary>SIGKILL on the API under load, then a start.</summary>
    public Task KillAndRestartApiAsync(CancellationToken cancellationToken) =>
        StopAndStartAsync("api", "api", SigKill, token => AliveAsync(new Uri($"http://{api}"), token), cancellationToken);

    /// <summary>The mock broker switched down (connections dropped, new ones refused) for <paramref name="duration"/>.</summary>
    public async Task BrokerOutageAsync(TimeSpan duration, CancellationToken cancellationToken)
    {
        await CommandAsync(Infrastructure.KafkaResource, "start-broker-outage", cancellationToken);
        try
        {
            await Task.Delay(duration, cancellationToken);
        }
        finally
        {
            await CommandAsync(Infrastructure.KafkaResource, "end-broker-outage", CancellationToken.None);
        }
    }

    private async Task StopAndStartAsync(string resource, string role, int signal, Func<CancellationToken, Task<bool>> answers, CancellationToken cancellationToken)
    {
        Signals.Send(Pid(role), signal);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ReturnTimeout);
        await app.ResourceNotifications.WaitForResourceAsync(
            resource, [KnownResourceStates.Exited, KnownResourceStates.Finished, KnownResourceStates.FailedToStart], timeout.Token);
        await CommandAsync(resource, KnownResourceCommands.StartCommand, cancellationToken);
        await UntilAsync(answers, $"{resource} to answer after its start", cancellationToken);
    }

    private async Task CommandAsync(string resource, string command, CancellationToken cancellationToken)
    {
        var result = await app.ResourceCommands.ExecuteCommandAsync(resource, command, cancellationToken);
        if (!result.Success)
        {
            throw new InvalidOperationException($"{command} on {resource} failed: {result.Message}");
        }
    }

    private static int Pid(string role) =>
        LockoutProcesses.FindServices().TryGetValue(role, out var pid) ? pid : throw new InvalidOperationException($"Lockout's {role} process is not running.");

    private Uri WriterEndpoint() => app.GetEndpoint("writer", "http");

    private static async Task UntilAsync(Func<CancellationToken, Task<bool>> answers, string what, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + ReturnTimeout;
        while (!await answers(cancellationToken))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Waited {ReturnTimeout.TotalSeconds:0} s for {what}.");
            }

            await Task.Delay(ProbeInterval, cancellationToken);
        }
    }

    /// <summary>
    /// PING on a new connection, as the connection string's user, answers (not LOADING while the append-only file is
    /// read). A connection of its own, like the database probe's unpooled one, so no reconnect state carries over.
    /// </summary>
    private async Task<bool> RedisAnswersAsync(CancellationToken cancellationToken)
    {
        var options = ConfigurationOptions.Parse(redisConnectionString);
        options.AbortOnConnectFail = true;
        options.ConnectRetry = 0;
        options.ConnectTimeout = 1_000;
        options.SyncTimeout = options.AsyncTimeout = 1_000;
        try
        {
            await using var connection = await ConnectionMultiplexer.ConnectAsync(options).WaitAsync(cancellationToken);
            await connection.GetDatabase().PingAsync().WaitAsync(cancellationToken);
            return true;
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private async Task<bool> PostgresAnswersAsync(CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(databaseConnectionString) { Pooling = false, Timeout = 1 };
        try
        {
            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            return await command.ExecuteScalarAsync(cancellationToken) is 1;
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>The service's liveness endpoint answers: the process is up and serving HTTP.</summary>
    private static async Task<bool> AliveAsync(Uri service, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await Probe.GetAsync(new Uri(service, "/alive"), cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>The AppHost's resource names (src/Lockout.AppHost/Infrastructure/LockoutInfrastructure.cs).</summary>
    private static class Infrastructure
    {
        public const string RedisResource = AppHost.Infrastructure.LockoutInfrastructureExtensions.RedisName;
        public const string PostgresResource = AppHost.Infrastructure.LockoutInfrastructureExtensions.PostgresName;
        public const string KafkaResource = AppHost.Infrastructure.LockoutInfrastructureExtensions.KafkaName;
    }
}
