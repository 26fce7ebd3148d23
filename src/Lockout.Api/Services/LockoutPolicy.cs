using System.ComponentModel.DataAnnotations;

namespace Lockout.Api.Services;

/// <summary>
/// When an account locks, and for how long; section <c>Lockout:Policy</c>.
/// </summary>
public sealed class LockoutPolicy : IValidatableObject
{
    public const string SectionName = "Lockout:Policy";

    /// <summary>
    /// <see cref="LockoutMode.Account"/> (default): the seed's rule, five wrong passwords from anyone lock the account.
    /// <see cref="LockoutMode.Smart"/>: failures count per source, so an attacker is locked out, not the user.
    /// </summary>
    public LockoutMode Mode { get; set; } = LockoutMode.Account;

    /// <summary>
    /// Account mode: failed attempts that lock the account (the seed's 5). Smart mode: failed attempts that block one
    /// source for the account.
    /// </summary>
    [Range(1, 1000)]
    public int MaxFailedAttempts { get; set; } = 5;

    /// <summary>How long a failed attempt counts toward <see cref="MaxFailedAttempts"/>; older failures are forgotten.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00")]
    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Account mode: how long a lock lasts; null (the seed's behaviour) means until an admin unlocks.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "3650.00:00:00")]
    public TimeSpan? LockDuration { get; set; }

    /// <summary>
    /// How long a reserved attempt may stay unsettled before its slot returns to the budget: a request that
    /// dies between reserving and recording must not shrink the budget for good.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan ReservationLease { get; set; } = TimeSpan.FromSeconds(30);

    public SmartLockoutOptions Smart { get; set; } = new();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Mode != LockoutMode.Smart)
        {
            yield break;
        }

        if (Smart.PasswordTagKey is not { Length: >= 32 })
        {
            yield return new ValidationResult(
                $"{SectionName}:Smart:PasswordTagKey must be a secret of at least 32 characters in Smart mode (the AppHost's password-tag-key parameter).");
        }

        var results = new List<ValidationResult>();
        Validator.TryValidateObject(Smart, new ValidationContext(Smart), results, validateAllProperties: true);
        foreach (var result in results)
        {
            yield return result;
        }

        if (Smart.LockLevels.Any(level => level <= TimeSpan.Zero))
        {
            yield return new ValidationResult($"{SectionName}:Smart:LockLevels must be positive durations.");
        }
    }
}

public enum LockoutMode
{
    Account,
    Smart,
}

/// <summary>Smart mode's settings; section <c>Lockout:Policy:Smart</c>.</summary>
public sealed class SmartLockoutOptions
{
    /// <summary>
    /// Verified wrong passwords from unfamiliar sources, all together, that lock the account to unfamiliar sources per
    /// <see cref="CapWindow"/>: a distributed attack on one account gets exactly this many guesses per window
    /// (NIST SP 800-63B caps consecutive failures at 100).
    /// </summary>
    [Range(1, 100_000)]
    public int AccountCap { get; set; } = 100;

    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan CapWindow { get; set; } = TimeSpan.FromHours(1);

    /// <summary>A source that signed in to the account within this time is familiar: it keeps a budget of its own.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00")]
    public TimeSpan FamiliarFor { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Familiar sources remembered per account; the one that signed in longest ago goes first.</summary>
    [Range(1, 1000)]
    public int MaxFamiliarSources { get; set; } = 16;

    /// <summary>
    /// Durations of the growing temporary locks and blocks: the first, then the next each time it happens again within
    /// <see cref="LevelResetAfter"/>; after the last, until an admin lifts it.
    /// </summary>
    /// <remarks>Empty means the defaults, 1, 5 and 30 minutes (configuration adds to an array's defaults rather than
    /// replacing them, so the defaults are not in the array).</remarks>
    public TimeSpan[] LockLevels { get; set; } = [];

    public IReadOnlyList<TimeSpan> EffectiveLockLevels =>
        LockLevels.Length > 0 ? LockLevels : [TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30)];

    /// <summary>Without a new lock or block for this long, the level starts again at the first.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00")]
    public TimeSpan LevelResetAfter { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// The secret of the keyed hash kept of an account's recent wrong passwords (so the same one is not counted twice):
    /// the AppHost's <c>password-tag-key</c> parameter. Required in Smart mode.
    /// </summary>
    public string? PasswordTagKey { get; set; }
}
