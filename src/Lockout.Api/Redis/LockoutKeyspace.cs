using System.IO.Hashing;
using System.Text;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Lockout.Api.Redis;

/// <summary>
/// Where Lockout's state lives in Redis. Every key belongs to one of a fixed number of buckets and carries the
/// bucket as its hash tag, so in a Redis Cluster a bucket is one slot: a script can change an account and append
/// to that bucket's outbox stream in one atomic step, and the outbox spreads over the cluster's shards.
/// </summary>
public sealed class LockoutKeyspace(IOptions<LockoutRedisOptions> options)
{
    /// <summary>The scripts publish a bucket number here after appending to its outbox; relays wait on it.</summary>
    public static readonly RedisChannel WakeChannel = RedisChannel.Literal("lockout:outbox:wake");

    /// <summary>Relays alive, scored by when their heartbeat runs out.</summary>
    public static readonly RedisKey RelaysKey = "lockout:relays";

    public int Buckets { get; } = options.Value.Buckets;

    public int BucketOf(string name) => (int)(XxHash3.HashToUInt64(Encoding.UTF8.GetBytes(name)) % (ulong)Buckets);

    public AccountKeys Account(string normalizedUsername)
    {
        var bucket = BucketOf(normalizedUsername);
        var state = $"{Prefix(bucket)}acct:{normalizedUsername}";
        return new AccountKeys(bucket, state, state + ":failures", state + ":leases", Outbox(bucket), state + ":blocks", state + ":familiar", state + ":wrong");
    }

    /// <summary>The keys of a source's failures across all accounts, and its bucket's outbox.</summary>
    public SourceKeys Source(string source)
    {
        var bucket = BucketOf(source);
        var prefix = $"{Prefix(bucket)}src:{source}";
        return new SourceKeys(bucket, prefix + ":failures", prefix + ":leases", Outbox(bucket));
    }

    /// <summary>The bucket's lock events waiting for Kafka.</summary>
    public static RedisKey Outbox(int bucket) => $"{Prefix(bucket)}outbox";

    /// <summary>The bucket's outbox entries Kafka refused for good, with the reason: parked, not retried for ever.</summary>
    public static RedisKey ParkedOutbox(int bucket) => $"{Prefix(bucket)}outbox:parked";

    public IEnumerable<int> AllBuckets => Enumerable.Range(0, Buckets);

    private static string Prefix(int bucket) => $"lockout:{{b{bucket}}}:";
}

/// <summary>The keys of one account, and its bucket's outbox.</summary>
public readonly record struct AccountKeys(
    int Bucket, RedisKey State, RedisKey Failures, RedisKey Leases, RedisKey Outbox, RedisKey Blocks, RedisKey Familiar, RedisKey WrongPasswords)
{
    /// <summary>The keys every account script takes first.</summary>
    public RedisKey[] Common => [State, Failures, Leases, Outbox];

    /// <summary>The keys of Smart mode's scripts.</summary>
    public RedisKey[] Smart => [State, Failures, Leases, Outbox, Blocks, Familiar, WrongPasswords];
}

/// <summary>The keys of one source's failures across accounts, and its bucket's outbox.</summary>
public readonly record struct SourceKeys(int Bucket, RedisKey Failures, RedisKey Leases, RedisKey Outbox);
