using StackExchange.Redis;

namespace Lockout.Api.Outbox;

/// <summary>
/// The relay's own Redis connection, apart from the one logins use, as a Redis user of its own
/// (<c>ConnectionStrings:redis-relay</c>: the outbox streams only, no scripts); without one, the logins' connection string.
/// </summary>
/// <remarks>
/// Created outside Aspire's Redis client and traced by nothing: the relay wakes every few seconds even when nothing
/// happens, and a trace per idle read would bury the login traces in the dashboard; the relay's traces are its Kafka
/// sends, which exist only when an event moves. Its pub/sub wake-ups also get a connection that a burst of logins
/// does not delay.
/// </remarks>
public sealed class OutboxConnection(IConfiguration configuration) : IAsyncDisposable
{
    private readonly Lazy<Task<ConnectionMultiplexer>> _connection = new(() => ConnectAsync(configuration));

    public async Task<IConnectionMultiplexer> GetAsync() => await _connection.Value;

    public async ValueTask DisposeAsync()
    {
        if (_connection.IsValueCreated && _connection.Value.IsCompletedSuccessfully)
        {
            await _connection.Value.Result.DisposeAsync();
        }
    }

    private static Task<ConnectionMultiplexer> ConnectAsync(IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString(Extensions.Extensions.RedisRelayConnection)
            ?? configuration.GetConnectionString(Extensions.Extensions.RedisConnection)
            ?? throw new InvalidOperationException($"ConnectionStrings:{Extensions.Extensions.RedisRelayConnection} is not configured.");
        var options = ConfigurationOptions.Parse(connectionString);
        // Redis may be down when the relay starts; the multiplexer reconnects by itself.
        options.AbortOnConnectFail = false;
        options.ClientName = "lockout-outbox-relay";
        Extensions.Extensions.ConfigureForRedisUser(options);
        return ConnectionMultiplexer.ConnectAsync(options);
    }
}
