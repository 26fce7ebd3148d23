using System.ComponentModel.DataAnnotations;

namespace Lockout.Api.Outbox;

/// <summary>Tuning of <see cref="OutboxRelay"/>; section <c>Lockout:Outbox</c>, validated at start.</summary>
public sealed class OutboxRelayOptions
{
    public const string SectionName = "Lockout:Outbox";

    /// <summary>Entries read and sent together.</summary>
    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 1000;

    /// <summary>
    /// How often the relay renews its heartbeat and looks at every bucket it owns, whether woken or not: bounds the
    /// delay of an event whose wake-up was lost, and what an idle relay costs.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a relay counts as alive after its last heartbeat: a dead relay's buckets move after this.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan HeartbeatTimeToLive { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Refusals in a row, for an error that does not say it is final, before an entry is parked.</summary>
    [Range(1, 1000)]
    public int ParkAfterRefusals { get; set; } = 5;

    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(5);
}
