using System.Diagnostics;
using System.Net;
using Lockout.Api.Services;
using StackExchange.Redis;

namespace Lockout.Api.Redis;

/// <summary>
/// Runs Lockout's Lua scripts, each in a client span of its own, so that a login's trace shows its Redis work.
/// </summary>
/// <remarks>
/// Aspire's Redis tracing is off for the logins' connection (<c>DisableTracing</c>): it registers a StackExchange.Redis
/// profiling session that keeps an object for every command until it is drained every 10 s, and under load those
/// objects outlived the young generation and made the gen1 and gen2 collections behind the p99 of ordinary logins
/// (bench/README.md, issue 15). A span here lives as long as its command. Its tags follow OpenTelemetry's database
/// conventions and never carry keys or arguments: Lockout's keys and arguments are usernames and sources.
/// The source's name falls under ServiceDefaults' <c>Lockout.*</c>, so every service that traces records it.
/// </remarks>
public static class ScriptSpans
{
    public const string ActivitySourceName = "Lockout.Redis";

    private static readonly ActivitySource Source = new(ActivitySourceName);

    /// <summary>EVALSHA of the script (EVAL the first time on a server), in an <c>EVALSHA name</c> span.</summary>
    public static Task<RedisResult> RunAsync(this IDatabase database, NamedScript script, RedisKey[] keys, RedisValue[] values) =>
        // Nobody listening (a tool, a test without telemetry): no span and no extra state machine.
        Source.HasListeners() ? RunTracedAsync(database, script, keys, values) : database.ScriptEvaluateAsync(script.Text, keys, values);

    // Read and replaced whole (a reference), so a thread never sees half of another's.
    private static Server? _server;

    /// <summary>
    /// The server, when the connection has a single one (in a cluster the key's slot decides, and
    /// <c>IdentifyEndpoint</c> would ask Redis, a round trip). Worked out once per multiplexer.
    /// </summary>
    private static Server ServerOf(IConnectionMultiplexer multiplexer)
    {
        if (_server is { } known && ReferenceEquals(known.Multiplexer, multiplexer))
        {
            return known;
        }

        var server = multiplexer.GetEndPoints(configuredOnly: true) switch
        {
            [DnsEndPoint dns] => new Server(multiplexer, dns.Host, dns.Port),
            [IPEndPoint ip] => new Server(multiplexer, ip.Address.ToString(), ip.Port),
            _ => new Server(multiplexer, null, null),
        };
        _server = server;
        return server;
    }

    /// <param name="Port">Boxed once, not per span.</param>
    private sealed record Server(IConnectionMultiplexer Multiplexer, string? Address, object? Port);

    private static async Task<RedisResult> RunTracedAsync(IDatabase database, NamedScript script, RedisKey[] keys, RedisValue[] values)
    {
        // A child of the request's span; none when the request is not recorded (a health probe's, by the sampler).
        using var activity = Source.StartActivity(script.SpanName, ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("db.system", "redis");
            activity.SetTag("db.system.name", "redis");
            activity.SetTag("db.operation.name", "EVALSHA");
            if (ServerOf(database.Multiplexer) is { Address: { } address } server)
            {
                activity.SetTag("server.address", address);
                activity.SetTag("server.port", server.Port);
            }
        }

        try
        {
            return await database.ScriptEvaluateAsync(script.Text, keys, values);
        }
        catch (Exception exception) when (activity is not null)
        {
            activity.SetStatus(ActivityStatusCode.Error);
            activity.SetTag("error.type", exception.GetType().FullName);
            throw;
        }
    }
}
