using System.Text.Json.Serialization;

namespace Lockout.Events;

/// <summary>
/// A decision taken in Redis, on its way to the database: the message on the <c>lockout-events</c> topic.
/// </summary>
/// <param name="EventId">Unique per decision; the writer applies each id once.</param>
/// <param name="Type">What was decided.</param>
/// <param name="Username">
/// The normalized username the decision is about, also the message key (per-user order); null for a decision about a
/// source alone (<see cref="LockoutEventType.SourceThrottled"/>, <see cref="LockoutEventType.ThrottleLifted"/>), whose
/// key is the source.
/// </param>
/// <param name="OccurredAt">When Redis took the decision.</param>
/// <param name="Attempts">Failed attempts counted when the decision was taken (0 for a lift).</param>
/// <param name="Version">
/// Per-user, strictly increasing decision number. The writer applies a status only if it is newer than the
/// row's, so a redelivered or reordered event can never undo a later decision. For source decisions, the time.
/// </param>
/// <param name="LockedUntil">When a timed lock, block or throttle ends; null for one that lasts until lifted.</param>
/// <param name="Source">The client address (IPv4, or IPv6 /64) the decision is about or was caused by, if any.</param>
/// <param name="Level">The level of a temporary lock or block (1 = first), in Smart mode.</param>
/// <param name="Operator">The admin who took a lift or unlock decision.</param>
public sealed record LockoutEvent(
    Guid EventId,
    LockoutEventType Type,
    string? Username,
    DateTimeOffset OccurredAt,
    int Attempts,
    long Version,
    DateTimeOffset? LockedUntil = null,
    string? Source = null,
    int? Level = null,
    string? Operator = null)
{
    /// <summary>The Kafka key: the username, or the source for a decision about a source alone.</summary>
    [JsonIgnore]
    public string Key => Username ?? Source ?? "";

    /// <summary>Whether the decision changes <c>USERS.LOCK_STATUS</c> (the others are audit only).</summary>
    [JsonIgnore]
    public bool ChangesLockStatus => Type is LockoutEventType.Locked or LockoutEventType.Unlocked or LockoutEventType.LockExpired;
}

[JsonConverter(typeof(JsonStringEnumConverter<LockoutEventType>))]
public enum LockoutEventType
{
    /// <summary>The account is locked (in Smart mode: to unfamiliar sources).</summary>
    [JsonStringEnumMemberName("LOCKED")]
    Locked,

    /// <summary>An admin unlocked the account.</summary>
    [JsonStringEnumMemberName("UNLOCKED")]
    Unlocked,

    /// <summary>A timed lock ran out (recorded when it is next seen).</summary>
    [JsonStringEnumMemberName("LOCK_EXPIRED")]
    LockExpired,

    /// <summary>A source reached its budget on an account and is refused there (Smart mode).</summary>
    [JsonStringEnumMemberName("SOURCE_BLOCKED")]
    SourceBlocked,

    /// <summary>An admin lifted a source's block on an account.</summary>
    [JsonStringEnumMemberName("SOURCE_UNBLOCKED")]
    SourceUnblocked,

    /// <summary>A source reached its failure limit across all accounts and is throttled (429).</summary>
    [JsonStringEnumMemberName("SOURCE_THROTTLED")]
    SourceThrottled,

    /// <summary>An admin lifted a source's throttle.</summary>
    [JsonStringEnumMemberName("THROTTLE_LIFTED")]
    ThrottleLifted,
}

public static class LockoutEventTypes
{
    /// <summary>The name on the wire and in <c>LOCKOUT_EVENTS.EVENT_TYPE</c>.</summary>
    public static string Name(this LockoutEventType type) => type switch
    {
        LockoutEventType.Locked => "LOCKED",
        LockoutEventType.Unlocked => "UNLOCKED",
        LockoutEventType.LockExpired => "LOCK_EXPIRED",
        LockoutEventType.SourceBlocked => "SOURCE_BLOCKED",
        LockoutEventType.SourceUnblocked => "SOURCE_UNBLOCKED",
        LockoutEventType.SourceThrottled => "SOURCE_THROTTLED",
        LockoutEventType.ThrottleLifted => "THROTTLE_LIFTED",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public static LockoutEventType? Parse(string? name) =>
        Enum.GetValues<LockoutEventType>().Cast<LockoutEventType?>().FirstOrDefault(type => type!.Value.Name() == name);
}
