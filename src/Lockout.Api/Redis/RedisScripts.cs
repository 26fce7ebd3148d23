using System.Diagnostics;
using System.Net;
using Lockout.Api.Services;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Lockout.Api.Redis;

/// <summary>
/// Runs Lockout's Lua scripts on the logins' Redis connection: each in a client span of its own, so that a login's
/// trace shows its Redis work, and each given up with a <see cref="RedisTimeoutException"/> (a 503) once Redis has
/// answered nothing for <see cref="LockoutRedisOptions.SilenceLimit"/> (<see cref="RedisSilence"/>).
/// </summary>
/// <remarks>
/// Aspire's Redis tracing is off for the logins' connection (<c>DisableTracing</c>): it registers a StackExchange.Redis
/// profiling session that keeps an object for every command until it is drained every 10 s, and under load those
/// objects outlived the young generation and made the gen1 and gen2 collections behind the p99 of ordinary logins
/// (bench/README.md, issue 15). A span here lives as long as its command. Its tags follow OpenTelemetry's database
/// conventions and never carry keys or arguments: Lockout's keys and arguments are usernames and sources.
/// The source's name falls under ServiceDefaults' <c>Lockout.*</c>, so every service that traces records it.
/// </remarks>
public sealed class RedisScripts(IConnectionMultiplexer redis, IOptions<LockoutRedisOptions> options)
{
    public const string ActivitySourceName = "Lockout.Redis";

    private static readonly ActivitySource Source = new(ActivitySourceName);

    private readonly RedisSilence _silence = new(options.Value.SilenceLimit);

    /// <summary>The connection, for the plain commands that go with the scripts (a lease given back).</summary>
    public IDatabase Database => redis.GetDatabase();

    /// <summary>EVALSHA of the script (EVAL the first time on a server), in an <c>EVALSHA name</c> span.</summary>
    public Task<RedisResult> RunAsync(NamedScript script, RedisKey[] keys, RedisValue[] values) =>
        // Nobody listening (a tool, a test without telemetry): no span and no extra state machine.
        Source.HasListeners()
            ? RunTracedAsync(script, keys, values)
            : _silence.WaitAsync(Database.ScriptEvaluateAsync(script.Text, keys, values));

    // Read and replaced whole (a reference), so a thread never sees half of another's.
    private ServerAddress? _server;

    /// <summary>
    /// The server, when the connection has a single one (in a cluster the key's slot decides, and
    /// <c>IdentifyEndpoint</c> would ask Redis, a round trip). Worked out on first use.
    /// </summary>
    private ServerAddress Server => _server ??= redis.GetEndPoints(configuredOnly: true) switch
    {
        [DnsEndPoint dns] => new ServerAddress(dns.Host, dns.Port),
        [IPEndPoint ip] => new ServerAddress(ip.Address.ToString(), ip.Port),
        _ => new ServerAddress(null, null),
    };

    /// <param name="Port">Boxed once, not per span.</param>
    private sealed record ServerAddress(string? Address, object? Port);

    private async Task<RedisResult> RunTracedAsync(NamedScript script, RedisKey[] keys, RedisValue[] values)
    {
        // A child of the request's span; none when the request is not recorded (a health probe's, by the sampler).
        using var activity = Source.StartActivity(script.SpanName, ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("db.system", "redis");
            activity.SetTag("db.system.name", "redis");
            activity.SetTag("db.operation.name", "EVALSHA");
            if (Server is { Address: { } address } server)
            {
                activity.SetTag("server.address", address);
                activity.SetTag("server.port", server.Port);
            }
        }

        try
        {
            return await _silence.WaitAsync(Database.ScriptEvaluateAsync(script.Text, keys, values));
        }
        catch (Exception exception) when (activity is not null)
        {
            activity.SetStatus(ActivityStatusCode.Error);
            activity.SetTag("error.type", exception.GetType().FullName);
            throw;
        }
    }
}
