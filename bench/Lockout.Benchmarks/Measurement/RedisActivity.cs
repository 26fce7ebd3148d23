using System.Globalization;
using StackExchange.Redis;

namespace Lockout.Benchmarks.Measurement;

/// <summary>
/// Commands Lockout's Redis served (every primary of a cluster), by command, from <c>INFO commandstats</c>: a run's delta divided by its answers is
/// the round trips a login costs (a script call is one command). The benchmark's own <c>INFO</c> calls are left out.
/// </summary>
internal sealed class RedisActivity : IAsyncDisposable
{
    private readonly ConnectionMultiplexer _redis;

    private RedisActivity(ConnectionMultiplexer redis) => _redis = redis;

    public static async Task<RedisActivity> ConnectAsync(string connectionString) =>
        new(await ConnectionMultiplexer.ConnectAsync(ConfigurationOptions.Parse(connectionString + ",allowAdmin=true")));

    public async Task<RedisCommandCounts> SnapshotAsync()
    {
        // A Redis Cluster's commands are the sum over its primaries.
        var servers = await Task.WhenAll(_redis.GetServers().Where(server => !server.IsReplica).Select(server => server.InfoAsync("commandstats")));
        var calls = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (name, value) in servers.SelectMany(sections => sections).SelectMany(section => section))
        {
            // cmdstat_evalsha:calls=123,usec=456,...
            var command = name.Replace("cmdstat_", "", StringComparison.Ordinal);
            if (command != "info" && value.Split(',').FirstOrDefault(field => field.StartsWith("calls=", StringComparison.Ordinal)) is { } field)
            {
                calls[command] = calls.GetValueOrDefault(command) + long.Parse(field["calls=".Length..], CultureInfo.InvariantCulture);
            }
        }

        return new RedisCommandCounts(calls);
    }

    public ValueTask DisposeAsync() => _redis.DisposeAsync();
}

/// <summary>Calls per Redis command, since the server started (or, as a difference, over a run).</summary>
internal sealed record RedisCommandCounts(IReadOnlyDictionary<string, long> Calls)
{
    public static readonly RedisCommandCounts None = new(new Dictionary<string, long>());

    public long Total => Calls.Values.Sum();

    public static RedisCommandCounts operator -(RedisCommandCounts after, RedisCommandCounts before) =>
        new(after.Calls.ToDictionary(pair => pair.Key, pair => pair.Value - before.Calls.GetValueOrDefault(pair.Key)));

    /// <summary>E.g. <c>evalsha 2.00, xreadgroup 0.01</c>: the commands that came at least once per hundred answers.</summary>
    public string PerRequest(long requests) => requests == 0
        ? ""
        : string.Join(", ", Calls
            .Where(pair => pair.Value * 100 >= requests)
            .OrderByDescending(pair => pair.Value)
            .Select(pair => string.Create(CultureInfo.InvariantCulture, $"{pair.Key} {(double)pair.Value / requests:0.00}")));
}
