using Microsoft.Extensions.Configuration;

namespace Lockout.AppHost.Infrastructure;

/// <summary>
/// How Redis runs in both modes. Redis holds the outbox and every lock decision until the database shows it, so it
/// keeps an append-only file (synced every second: a lock decided in the second before Redis dies can be lost) and
/// never evicts: at <c>maxmemory</c> a write is refused (503 for that request) rather than a key silently dropped.
/// </summary>
public static class RedisServerSettings
{
    /// <summary>Configuration key of the memory Redis may use (Redis's own syntax: 1gb, 512mb).</summary>
    public const string MaxMemoryKey = "Infrastructure:RedisMaxMemory";

    public const string DefaultMaxMemory = "1gb";

    public static string MaxMemory(IConfiguration configuration) =>
        configuration[MaxMemoryKey] is { Length: > 0 } value ? value : DefaultMaxMemory;

    /// <summary>The redis-server arguments that say so, as a process is given them.</summary>
    public static string[] Arguments(string maxMemory) =>
    [
        "--appendonly", "yes",
        "--appendfsync", "everysec",
        "--save", "",
        "--maxmemory", maxMemory,
        "--maxmemory-policy", "noeviction",
    ];

    /// <summary>The extra arguments of a cluster node; its files are in its own folder, so the file names can be fixed.</summary>
    public static string[] ClusterNodeArguments() =>
    [
        "--cluster-enabled", "yes",
        "--cluster-config-file", "nodes.conf",
        // A primary that stops answering is declared failed after this; with no replicas its slots are then down.
        "--cluster-node-timeout", "5000",
    ];

    /// <summary>Redis Cluster's hash slots.</summary>
    public const int ClusterSlots = 16_384;

    /// <summary>The slots shard <paramref name="shard"/> of <paramref name="shards"/> serves: an even split, in order.</summary>
    public static (int First, int Last) SlotRange(int shard, int shards) =>
        (shard * ClusterSlots / shards, ((shard + 1) * ClusterSlots / shards) - 1);

    /// <summary>
    /// The same arguments for Aspire's Redis container, whose command line goes through <c>/bin/sh -c</c> (so that
    /// the password is expanded there): an empty argument would vanish in the shell, so it is quoted.
    /// </summary>
    public static string[] ShellArguments(string maxMemory) =>
        [.. Arguments(maxMemory).Select(argument => argument.Length == 0 ? "''" : argument)];
}
