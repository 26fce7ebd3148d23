using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Lockout.Api.Redis;
using Lockout.Api.Services;
using Lockout.AppHost.Infrastructure;
using Lockout.Benchmarks.Infrastructure;
using Microsoft.Extensions.Options;
using Spectre.Console;
using StackExchange.Redis;

namespace Lockout.Benchmarks.Scenarios;

/// <summary>
/// What Redis holds per account: a redis-server of its own, with the AppHost's settings (<see cref="RedisServerSettings"/>),
/// filled through the API's own <see cref="GuessBudget"/> (its Lua scripts, EVALSHA, many calls in flight): every account
/// fails once, then three times more, then a fifth time, which locks it. <c>used_memory</c> is read before and after each
/// round. A lock's event sits in the outbox until Kafka has it; the relay then deletes it, as this run does by trimming
/// the outbox after each slice of locks (so the outbox never reaches its cap). With several shards, the redis-servers
/// are a Redis Cluster as the AppHost makes it (the slots split evenly), and <c>used_memory</c> is the nodes' sum.
/// </summary>
internal static class RedisMemoryScenario
{
    private const int InFlight = 2000;
    private const int LockSlice = 100_000;

    public static async Task<RedisMemoryResult> RunAsync(int accounts, int shards, string outputDirectory, CancellationToken cancellationToken)
    {
        AnsiConsole.Write(new Rule($"Redis memory per account, {accounts:N0} accounts, {shards} shard(s)").LeftJustified());
        using var server = await StandaloneRedis.StartAsync(shards, cancellationToken);
        var fresh = await server.UsedMemoryPerNodeAsync(cancellationToken);
        // allowAdmin: INFO per node (IServer).
        await using var redis = await ConnectionMultiplexer.ConnectAsync($"{server.ConnectionString},abortConnect=false,allowAdmin=true,syncTimeout=30000,asyncTimeout=30000");
        // As patient as the connection: a million accounts are loaded as fast as Redis takes them.
        var redisOptions = new LockoutRedisOptions { SilenceLimit = TimeSpan.FromSeconds(30) };
        var keyspace = new LockoutKeyspace(Options.Create(redisOptions));
        var policy = new LockoutPolicy();
        var budget = new GuessBudget(new RedisScripts(redis, Options.Create(redisOptions)), keyspace, Options.Create(policy), Options.Create(redisOptions), new RedisClock(TimeProvider.System), TimeProvider.System);
        var names = Enumerable.Range(0, accounts).Select(i => $"MEMORY-{i.ToString("D7", CultureInfo.InvariantCulture)}").ToArray();

        // The scripts are loaded (and the first keys made) by warm-up accounts in every bucket, so the baseline holds
        // every node's script cache.
        await FailAsync(budget, [.. Enumerable.Range(0, 64).Select(i => $"MEMORY-WARMUP-{i}")], cancellationToken);
        await TrimOutboxAsync(redis, keyspace);
        var emptyPerNode = await UsedMemoryPerNodeAsync(redis, server.Ports);
        var empty = emptyPerNode.Sum();
        var watch = Stopwatch.StartNew();

        await Round("1st wrong password", names, budget, cancellationToken);
        var oneFailure = await UsedMemoryAsync(redis);

        for (var round = 2; round < policy.MaxFailedAttempts; round++)
        {
            await Round($"wrong password {round}", names, budget, cancellationToken);
        }

        var maxFailures = await UsedMemoryAsync(redis);

        // The locking failure, a slice at a time: the slice's LOCKED events are measured in the outbox, then delivered.
        long outboxBytes = 0;
        for (var start = 0; start < names.Length; start += LockSlice)
        {
            var slice = names[start..Math.Min(names.Length, start + LockSlice)];
            var outcomes = await Round($"lock {start + slice.Length:N0}/{names.Length:N0}", slice, budget, cancellationToken);
            if (outcomes.Count(status => status == FailureStatus.LockedNow) != slice.Length)
            {
                throw new InvalidOperationException($"{slice.Length - outcomes.Count(status => status == FailureStatus.LockedNow)} accounts of a slice did not lock on their {policy.MaxFailedAttempts}th failure.");
            }

            var withEvents = await UsedMemoryAsync(redis);
            await TrimOutboxAsync(redis, keyspace);
            outboxBytes += withEvents - await UsedMemoryAsync(redis);
        }

        var lockedPerNode = await UsedMemoryPerNodeAsync(redis, server.Ports);
        var locked = lockedPerNode.Sum();
        var keys = (await Task.WhenAll(redis.GetServers().Select(node => node.DatabaseSizeAsync()))).Sum();
        var result = new RedisMemoryResult(
            accounts,
            names[0].Length,
            policy.MaxFailedAttempts,
            OneFailureBytes: (double)(oneFailure - empty) / accounts,
            MaxFailuresBytes: (double)(maxFailures - empty) / accounts,
            LockedBytes: (double)(locked - empty) / accounts,
            OutboxEventBytes: (double)outboxBytes / accounts,
            LockedMiB: (locked - empty) / 1024.0 / 1024.0,
            Keys: keys,
            Seconds: watch.Elapsed.TotalSeconds,
            MaxMemory: RedisServerSettings.DefaultMaxMemory)
        {
            Shards = shards,
            FreshNodeBytes = fresh,
            LockedGrowthPerNodeBytes = [.. lockedPerNode.Zip(emptyPerNode, (after, before) => after - before)],
        };
        Write(result, outputDirectory);
        return result;
    }

    /// <summary>One wrong password for each account, as a login does it: reserve, then record the failure.</summary>
    private static async Task<List<FailureStatus>> Round(string label, string[] names, GuessBudget budget, CancellationToken cancellationToken) =>
        await AnsiConsole.Status().StartAsync(Markup.Escape($"{label}: {names.Length:N0} accounts"), _ => FailAsync(budget, names, cancellationToken));

    private static async Task<List<FailureStatus>> FailAsync(GuessBudget budget, string[] names, CancellationToken cancellationToken)
    {
        var outcomes = new FailureStatus[names.Length];
        await Parallel.ForAsync(0, names.Length, new ParallelOptions { MaxDegreeOfParallelism = InFlight, CancellationToken = cancellationToken }, async (i, _) =>
        {
            var reservation = await budget.ReserveAsync(names[i], source: "");
            if (reservation.Status != ReservationStatus.Reserved)
            {
                throw new InvalidOperationException($"{names[i]}: the reservation was refused ({reservation.Status}).");
            }

            outcomes[i] = (await budget.RecordFailureAsync(reservation, knownUser: true, traceParent: null)).Status;
        });
        return [.. outcomes];
    }

    /// <summary>What the relay does once Kafka has acknowledged an entry: it leaves the stream.</summary>
    private static async Task TrimOutboxAsync(ConnectionMultiplexer redis, LockoutKeyspace keyspace)
    {
        var database = redis.GetDatabase();
        await Task.WhenAll(keyspace.AllBuckets.Select(bucket => database.StreamTrimAsync(LockoutKeyspace.Outbox(bucket), 0)));
    }

    private static async Task<long> UsedMemoryAsync(ConnectionMultiplexer redis) =>
        (await UsedMemoryPerNodeAsync(redis, [.. redis.GetServers().Select(node => ((IPEndPoint)node.EndPoint).Port)])).Sum();

    /// <summary><c>used_memory</c> of each node, in the order of <paramref name="ports"/> (the shards' order).</summary>
    private static async Task<long[]> UsedMemoryPerNodeAsync(ConnectionMultiplexer redis, IReadOnlyList<int> ports) =>
        await Task.WhenAll(ports.Select(async port =>
            UsedMemory((await redis.GetServer(IPAddress.Loopback, port).InfoAsync("memory")).SelectMany(section => section).First(pair => pair.Key == "used_memory").Value)));

    private static long UsedMemory(string value) => long.Parse(value.Trim(), CultureInfo.InvariantCulture);

    private static void Write(RedisMemoryResult result, string outputDirectory)
    {
        var table = new Table().AddColumns("account state", "bytes per account");
        table.AddRow("1 failure", result.OneFailureBytes.ToString("N0", CultureInfo.InvariantCulture));
        table.AddRow($"{result.MaxFailedAttempts - 1} failures (the most an unlocked account holds)", result.MaxFailuresBytes.ToString("N0", CultureInfo.InvariantCulture));
        table.AddRow("locked (its event delivered)", result.LockedBytes.ToString("N0", CultureInfo.InvariantCulture));
        table.AddRow("+ its LOCKED event while in the outbox", result.OutboxEventBytes.ToString("N0", CultureInfo.InvariantCulture));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine(Markup.Escape(result.Summary));

        Directory.CreateDirectory(outputDirectory);
        var markdown = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"# Redis memory per account, {result.Accounts:N0} accounts")
            .AppendLine()
            .AppendLine("| account state | bytes per account |")
            .AppendLine("| --- | ---: |")
            .AppendLine(CultureInfo.InvariantCulture, $"| 1 failure | {result.OneFailureBytes:N0} |")
            .AppendLine(CultureInfo.InvariantCulture, $"| {result.MaxFailedAttempts - 1} failures (the most an unlocked account holds) | {result.MaxFailuresBytes:N0} |")
            .AppendLine(CultureInfo.InvariantCulture, $"| locked (its event delivered) | {result.LockedBytes:N0} |")
            .AppendLine(CultureInfo.InvariantCulture, $"| + its LOCKED event while in the outbox | {result.OutboxEventBytes:N0} |")
            .AppendLine()
            .AppendLine(result.Summary);
        if (result.Shards > 1)
        {
            markdown.AppendLine()
                .AppendLine("| node | used_memory when started | growth, all accounts locked |")
                .AppendLine("| --- | ---: | ---: |");
            for (var node = 0; node < result.Shards; node++)
            {
                markdown.AppendLine(CultureInfo.InvariantCulture, $"| redis-{node} | {result.FreshNodeBytes[node] / 1024.0 / 1024.0:0.00} MiB | {result.LockedGrowthPerNodeBytes[node] / 1024.0 / 1024.0:N0} MiB |");
            }
        }
        else
        {
            markdown.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"used_memory when started: {result.FreshNodeBytes[0] / 1024.0 / 1024.0:0.00} MiB.");
        }

        AnsiConsole.MarkupLine(Markup.Escape($"used_memory of each node when started: {string.Join(", ", result.FreshNodeBytes.Select(bytes => $"{bytes / 1024.0 / 1024.0:0.00} MiB"))}; growth per node, all locked: {string.Join(", ", result.LockedGrowthPerNodeBytes.Select(bytes => $"{bytes / 1024.0 / 1024.0:N0} MiB"))}"));
        var file = result.Shards == 1 ? "redis-memory.md" : $"redis-memory-{result.Shards}-shards.md";
        File.WriteAllText(Path.Combine(outputDirectory, file), markdown.ToString());
    }

}

/// <summary>Redis's <c>used_memory</c> growth per account, from an empty keyspace.</summary>
internal sealed record RedisMemoryResult(
    int Accounts,
    int UsernameLength,
    int MaxFailedAttempts,
    double OneFailureBytes,
    double MaxFailuresBytes,
    double LockedBytes,
    double OutboxEventBytes,
    double LockedMiB,
    long Keys,
    double Seconds,
    string MaxMemory)
{
    /// <summary>Redis primaries the accounts were spread over (one: a single redis-server).</summary>
    public int Shards { get; init; } = 1;

    /// <summary>Each node's <c>used_memory</c> when started, before any key or script.</summary>
    public IReadOnlyList<long> FreshNodeBytes { get; init; } = [];

    /// <summary>Each node's growth from the empty keyspace to every account locked.</summary>
    public IReadOnlyList<long> LockedGrowthPerNodeBytes { get; init; } = [];

    public string Summary =>
        string.Create(CultureInfo.InvariantCulture, $"{Accounts:N0} accounts with {UsernameLength}-character usernames, Account mode's defaults, through the API's scripts in {Seconds:0} s; used_memory growth from an empty keyspace, divided by the accounts")
        + (Shards > 1 ? $", summed over the {Shards} nodes of a Redis Cluster. " : ". ")
        + string.Create(CultureInfo.InvariantCulture, $"All locked: {LockedMiB:N0} MiB in {Keys:N0} keys, against the AppHost's maxmemory of {MaxMemory}{(Shards > 1 ? " per node" : "")}.");
}
