using System.ComponentModel.DataAnnotations;

namespace Lockout.Api.Services;

/// <summary>
/// When an account locks, and for how long; section <c>Lockout:Policy</c>.
/// </summary>
public sealed class LockoutPolicy
{
    public const string SectionName = "Lockout:Policy";

    /// <summary>Failed attempts that lock the account; the seed's 5.</summary>
    [Range(1, 1000)]
    public int MaxFailedAttempts { get; set; } = 5;

    /// <summary>How long a failed attempt counts; older failures are forgotten.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00")]
    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long a lock lasts; null (the seed's behaviour) means until an admin unlocks.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "3650.00:00:00")]
    public TimeSpan? LockDuration { get; set; }

    /// <summary>
    /// How long a reserved attempt may stay unsettled before its slot returns to the budget: a request that
    /// dies between reserving and recording must not shrink the budget for good.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ReservationLease { get; set; } = TimeSpan.FromSeconds(30);
}
