using System.Collections.Concurrent;
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

    private readonly TimeSpan _silenceLimit = options.Value.SilenceLimit;
    private readonly RedisSilence _silence = new(options.Value.SilenceLimit);

    // Sharded (a cluster, every node configured): each node's silence is its own, so that a paused shard costs its
    // logins a 503 while the answers of the others, which are up, do not keep them waiting.
    private readonly bool _sharded = redis.GetEndPoints(configuredOnly: true).Length > 1;
    private readonly ConcurrentDictionary<EndPoint, RedisSilence> _silenceByNode = new();

    /// <summary>The connection, for the plain commands that go with the scripts (a lease given back).</summary>
    public IDatabase Database => redis.GetDatabase();

    /// <summary>EVALSHA of the script (EVAL the first time on a server), in an <c>EVALSHA name</c> span.</summary>
    public Task<RedisResult> RunAsync(NamedScript script, RedisKey[] keys, RedisValue[] values)
    {
        var silence = SilenceOf(keys);
        // Nobody listening (a tool, a test without telemetry): no span.
        return Source.HasListeners()
            ? RunTracedAsync(silence, script, keys, values)
            : silence.WaitAsync(Database.ScriptEvaluateAsync(script.Text, keys, values));
    }

    /// <summary>The silence of the node the script's keys live on (a script's keys share a slot).</summary>
    private RedisSilence SilenceOf(RedisKey[] keys)
    {
        if (!_sharded || keys.Length == 0)
        {
            return _silence;
        }

        try
        {
            return _silenceByNode.GetOrAdd(redis.GetServer(keys[0]).EndPoint, static (_, limit) => new RedisSilence(limit), _silenceLimit);
        }
        catch (InvalidOperationException)
        {
            // No connected node owns the slot now: the client fails the command itself, so which silence is moot.
            return _silence;
        }
    }

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

    private async Task<RedisResult> RunTracedAsync(RedisSilence silence, NamedScript script, RedisKey[] keys, RedisValue[] values)
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
            return await silence.WaitAsync(Database.ScriptEvaluateAsync(script.Text, keys, values));
        }
        catch (Exception exception) when (activity is not null)
        {
            activity.SetStatus(ActivityStatusCode.Error);
            activity.SetTag("error.type", exception.GetType().FullName);
            throw;
        }
    }
}
