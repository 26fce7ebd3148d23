namespace Lockout.Database;

/// <summary>The values of <c>USERS.LOCK_STATUS</c> and <c>LOCKOUT_EVENTS.EVENT_TYPE</c>.</summary>
public static class LockStatus
{
    public const string Locked = "LOCKED";
    public const string Unlocked = "UNLOCKED";
}
