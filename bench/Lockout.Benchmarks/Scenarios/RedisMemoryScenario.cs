using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Lockout.Api.Redis;
using Lockout.Api.Services;
using Lockout.AppHost.Infrastructure;
using Microsoft.Extensions.Options;
using Spectre.Console;
using StackExchange.Redis;

namespace Lockout.Benchmarks.Scenarios;

/// <summary>
/// What Redis holds per account: a redis-server of its own, with the AppHost's settings (<see cref="RedisServerSettings"/>),
/// filled through the API's own <see cref="GuessBudget"/> (its Lua scripts, EVALSHA, many calls in flight): every account
/// fails once, then three times more, then a fifth time, which locks it. <c>used_memory</c> is read before and after each
/// round. A lock's event sits in the outbox until Kafka has it; the relay then deletes it, as this run does by trimming
/// the outbox after each slice of locks (so the outbox never reaches its cap).
/// </summary>
internal static class RedisMemoryScenario
{
    private const int InFlight = 2000;
    private const int LockSlice = 100_000;

    public static async Task<RedisMemoryResult> RunAsync(int accounts, string outputDirectory, CancellationToken cancellationToken)
    {
        AnsiConsole.Write(new Rule($"Redis memory per account, {accounts:N0} accounts").LeftJustified());
        using var server = await StandaloneRedis.StartAsync(cancellationToken);
        await using var redis = await ConnectionMultiplexer.ConnectAsync($"{server.ConnectionString},abortConnect=false,syncTimeout=30000,asyncTimeout=30000");
        var redisOptions = new LockoutRedisOptions();
        var keyspace = new LockoutKeyspace(Options.Create(redisOptions));
        var policy = new LockoutPolicy();
        var budget = new GuessBudget(redis, keyspace, Options.Create(policy), Options.Create(redisOptions), new RedisClock(TimeProvider.System));
        var names = Enumerable.Range(0, accounts).Select(i => $"MEMORY-{i.ToString("D7", CultureInfo.InvariantCulture)}").ToArray();

        // The scripts are loaded (and the first keys made) by a warm-up account, so the baseline holds the script cache.
        await FailAsync(budget, ["MEMORY-WARMUP"], cancellationToken);
        await TrimOutboxAsync(redis, keyspace);
        var empty = await UsedMemoryAsync(redis);
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

        var locked = await UsedMemoryAsync(redis);
        var keys = await redis.GetServer(server.ConnectionString).DatabaseSizeAsync();
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
            MaxMemory: RedisServerSettings.DefaultMaxMemory);
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

    private static async Task<long> UsedMemoryAsync(ConnectionMultiplexer redis)
    {
        var info = await redis.GetDatabase().ExecuteAsync("INFO", "memory");
        var line = info.ToString().Split('\n').First(line => line.StartsWith("used_memory:", StringComparison.Ordinal));
        return long.Parse(line["used_memory:".Length..].Trim(), CultureInfo.InvariantCulture);
    }

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
        File.WriteAllText(Path.Combine(outputDirectory, "redis-memory.md"), markdown.ToString());
    }

    /// <summary>A redis-server on a free loopback port with the AppHost's settings, in a folder of its own, gone when disposed.</summary>
    private sealed class StandaloneRedis : IDisposable
    {
        private readonly Process _process;
        private readonly DirectoryInfo _data;

        private StandaloneRedis(Process process, DirectoryInfo data, int port)
        {
            _process = process;
            _data = data;
            ConnectionString = $"127.0.0.1:{port}";
        }

        public string ConnectionString { get; }

        public static async Task<StandaloneRedis> StartAsync(CancellationToken cancellationToken)
        {
            var redisServer = LocalToolchain.Find(out var missing)?.RedisServer ?? throw new InvalidOperationException($"{missing} is not installed.");
            var port = FreePort();
            var data = Directory.CreateTempSubdirectory("lockout-bench-redis");
            var start = new ProcessStartInfo(redisServer,
            [
                "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", data.FullName,
                .. RedisServerSettings.Arguments(RedisServerSettings.DefaultMaxMemory),
            ])
            {
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
            _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            var server = new StandaloneRedis(process, data, port);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (true)
            {
                try
                {
                    using var client = new TcpClient();
                    await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
                    return server;
                }
                catch (SocketException) when (DateTime.UtcNow < deadline && !process.HasExited)
                {
                    await Task.Delay(50, cancellationToken);
                }
                catch
                {
                    server.Dispose();
                    throw;
                }
            }
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit();
            }

            _process.Dispose();
            _data.Delete(recursive: true);
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
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
    public string Summary => string.Create(CultureInfo.InvariantCulture,
        $"{Accounts:N0} accounts with {UsernameLength}-character usernames, Account mode's defaults, through the API's scripts in {Seconds:0} s; used_memory growth from an empty keyspace, divided by the accounts. " +
        $"All locked: {LockedMiB:N0} MiB in {Keys:N0} keys, against the AppHost's maxmemory of {MaxMemory}.");
}
