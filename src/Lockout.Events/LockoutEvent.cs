using System.Text.Json.Serialization;

namespace Lockout.Events;

/// <summary>
/// A lock decision taken in Redis, on its way to the database: the message on the <c>lockout-events</c> topic.
/// </summary>
/// <param name="EventId">Unique per decision; the writer applies each id once.</param>
/// <param name="Type">Whether the account was locked or unlocked.</param>
/// <param name="Username">The normalized username, also the message key (per-user order).</param>
/// <param name="OccurredAt">When Redis took the decision.</param>
/// <param name="Attempts">Failed attempts counted when the decision was taken (0 for an unlock).</param>
/// <param name="Version">
/// Per-user, strictly increasing decision number. The writer applies a status only if it is newer than the
/// row's, so a redelivered or reordered event can never undo a later decision.
/// </param>
/// <param name="LockedUntil">When a timed lock ends; null for a lock that lasts until an admin unlocks.</param>
public sealed record LockoutEvent(
    Guid EventId,
    LockoutEventType Type,
    string Username,
    DateTimeOffset OccurredAt,
    int Attempts,
    long Version,
    DateTimeOffset? LockedUntil = null);

[JsonConverter(typeof(JsonStringEnumConverter<LockoutEventType>))]
public enum LockoutEventType
{
    [JsonStringEnumMemberName("LOCKED")]
    Locked,

    [JsonStringEnumMemberName("UNLOCKED")]
    Unlocked,
}
