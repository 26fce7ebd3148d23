using System.Text;
using Lockout.Api.Redis;
using Microsoft.Extensions.Options;

namespace Lockout.UnitTests.Api;

/// <summary>
/// In a Redis Cluster a script may touch only keys of one slot, all passed in KEYS. These check that every key set
/// the scripts are given hashes to one slot, with Redis Cluster's own slot function.
/// </summary>
public sealed class LockoutKeyspaceClusterTests
{
    private static readonly LockoutKeyspace Keyspace = new(Options.Create(new LockoutRedisOptions()));

    public static TheoryData<string> Names => ["alice", "BOB@EXAMPLE.COM", "{b3}tricky", "name}with{braces", "198.51.100.7", "2001:db8:1:2::/64", "ünïcode"];

    [Theory]
    [MemberData(nameof(Names))]
    public void An_accounts_keys_and_its_outbox_share_one_slot(string username)
    {
        var keys = Keyspace.Account(username);

        Assert.Single(keys.Smart.Append(LockoutKeyspace.ParkedOutbox(keys.Bucket)).Select(key => Slot(key!)).Distinct());
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void A_sources_keys_and_its_outbox_share_one_slot(string source)
    {
        var keys = Keyspace.Source(source);

        Assert.Single(new[] { keys.Failures, keys.Leases, keys.Outbox }.Select(key => Slot(key!)).Distinct());
    }

    [Fact]
    public void The_buckets_are_spread_over_every_shard_of_a_three_shard_cluster()
    {
        // The outbox streams are the relays' work: a shard without one would hold no lock events.
        var shards = Keyspace.AllBuckets.Select(bucket => Slot(LockoutKeyspace.Outbox(bucket)!) * 3 / 16_384).Distinct();

        Assert.Equal(3, shards.Count());
    }

    [Fact]
    public void The_slot_function_agrees_with_redis_cluster_keyslot()
    {
        // CLUSTER KEYSLOT's answers on a Redis 7 node.
        Assert.Equal((12182, 5061, 5061), (Slot("foo"), Slot("{bar}foo"), Slot("bar")));
    }

    /// <summary>Redis Cluster's HASH_SLOT: CRC16 (XMODEM) of the key, or of its first non-empty {hash tag}, mod 16384.</summary>
    private static int Slot(string key)
    {
        var bytes = Encoding.UTF8.GetBytes(key);
        var open = Array.IndexOf(bytes, (byte)'{');
        if (open >= 0)
        {
            var close = Array.IndexOf(bytes, (byte)'}', open + 1);
            if (close > open + 1)
            {
                bytes = bytes[(open + 1)..close];
            }
        }

        ushort crc = 0;
        foreach (var b in bytes)
        {
            crc ^= (ushort)(b << 8);
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 0x8000) != 0 ? (ushort)((crc << 1) ^ 0x1021) : (ushort)(crc << 1);
            }
        }

        return crc % 16_384;
    }
}
