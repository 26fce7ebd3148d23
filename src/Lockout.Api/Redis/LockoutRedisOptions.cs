using System.ComponentModel.DataAnnotations;

namespace Lockout.Api.Redis;

/// <summary>How Lockout lays out and bounds its state in Redis; section <c>Lockout:Redis</c>.</summary>
public sealed class LockoutRedisOptions
{
    public const string SectionName = "Lockout:Redis";

    /// <summary>
    /// Buckets the keys are spread over, each with its own outbox stream (one cluster slot each). Fixed for the life
    /// of a deployment: changing it moves every account to other keys, so Redis forgets failure counts (locks are
    /// read back from the database).
    /// </summary>
    [Range(1, 4096)]
    public int Buckets { get; set; } = 16;

    /// <summary>
    /// Lock events the outbox may hold in all, across its buckets, while Kafka is unreachable. At the cap, decisions
    /// that would add an event are not taken (503, nothing counted) rather than lose the event.
    /// </summary>
    [Range(0, 100_000_000)]
    public int OutboxCapacity { get; set; } = 500_000;

    /// <summary>How long Redis keeps an account's last decision once the database shows it.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00")]
    public TimeSpan StateRetention { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// How long a lock on a username that does not exist is kept. While kept it behaves exactly as a real account's
    /// lock (no enumeration); then it is forgotten, so a list of made-up names cannot fill Redis.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00")]
    public TimeSpan UnknownUserRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// How long Redis may answer nothing at all before a command waiting on it is given up: the login gets a 503. A
    /// Redis that answers other commands is busy, not gone, and its commands wait up to <see cref="CommandTimeout"/>.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan SilenceLimit { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest any command waits, however busy Redis is (StackExchange.Redis's own timeout).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The outbox capacity of one bucket's stream.</summary>
    public int OutboxCapacityPerBucket => OutboxCapacity == 0 ? 0 : (OutboxCapacity + Buckets - 1) / Buckets;
}
