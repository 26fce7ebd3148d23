using System.ComponentModel.DataAnnotations;

namespace Lockout.Api.Outbox;

/// <summary>Tuning of <see cref="OutboxRelay"/>; section <c>Lockout:Outbox</c>, validated at start.</summary>
public sealed class OutboxRelayOptions
{
    public const string SectionName = "Lockout:Outbox";

    /// <summary>Entries read and sent together.</summary>
    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 1000;

    /// <summary>Pause between reads of an empty outbox; bounds the latency the relay adds.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>How long a dead relay's entries stay pending before another relay takes them.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan ClaimAfter { get; set; } = TimeSpan.FromSeconds(30);

    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan ClaimInterval { get; set; } = TimeSpan.FromSeconds(5);

    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(5);
}
