namespace Lockout.Events;

/// <summary>The Kafka topics Lockout uses.</summary>
public static class LockoutTopics
{
    public const string Events = "lockout-events";

    /// <summary>Where the writer parks events it cannot parse, with the reason in a header.</summary>
    public const string DeadLetter = "lockout-events.dlq";

    /// <summary>Partitions of <see cref="Events"/>; the key (username) picks the partition, so per-user order holds.</summary>
    public const int DefaultPartitions = 8;

    /// <summary>Partitions of <see cref="DeadLetter"/>: dead letters are rare, and one partition keeps them in order.</summary>
    public const int DeadLetterPartitions = 1;

    /// <summary>Every topic with its partition count: what the AppHost creates at start, in either infrastructure mode.</summary>
    public static IReadOnlyList<(string Name, int Partitions)> Layout { get; } =
    [
        (Events, DefaultPartitions),
        (DeadLetter, DeadLetterPartitions),
    ];
}
