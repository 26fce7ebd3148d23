namespace Lockout.Events;

/// <summary>The Kafka topics Lockout uses.</summary>
public static class LockoutTopics
{
    public const string Events = "lockout-events";

    /// <summary>Where the writer parks events it cannot parse, with the reason in a header.</summary>
    public const string DeadLetter = "lockout-events.dlq";

    /// <summary>Partitions in local mode; the key (username) picks the partition, so per-user order holds.</summary>
    public const int DefaultPartitions = 8;
}
