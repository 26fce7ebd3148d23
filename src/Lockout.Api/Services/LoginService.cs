using System.Diagnostics;
using Lockout.Api.Telemetry;

namespace Lockout.Api.Services;

/// <summary>
/// Answers one login: reserve an attempt in Redis, read the user, verify, settle the attempt in Redis.
/// Never writes to the database.
/// </summary>
public sealed partial class LoginService(
    GuessBudget budget,
    LockedAccountCache lockedAccounts,
    UserRepository users,
    PasswordVerifier passwords,
    LockoutApiMetrics metrics,
    TimeProvider clock,
    ILogger<LoginService> logger)
{
    public async Task<LoginResult> LoginAsync(string username, string password, CancellationToken cancellationToken)
    {
        var normalizedUsername = UsernameNormalizer.Normalize(username);
        if (lockedAccounts.IsLocked(normalizedUsername, out var rememberedUntil))
        {
            return Answer(LoginOutcome.Locked, rememberedUntil);
        }

        var reservation = await budget.ReserveAsync(normalizedUsername);
        if (reservation.Status == ReservationStatus.Locked)
        {
            lockedAccounts.Remember(normalizedUsername, reservation.LockedUntil);
            return Answer(LoginOutcome.Locked, reservation.LockedUntil);
        }

        if (reservation.Status != ReservationStatus.Reserved)
        {
            // The budget is spent (any status but Reserved refuses). Not remembered: the attempts in flight may end
            // in a right password, and then the account is open.
            return Answer(LoginOutcome.Locked);
        }

        UserAccount? user;
        try
        {
            user = await users.FindForLoginAsync(normalizedUsername, cancellationToken);
        }
        catch
        {
            await budget.ReleaseAsync(reservation);
            throw;
        }

        // The database's lock wins over Redis only when it is newer than anything Redis decided: after Redis
        // lost its state (nobody is unlocked by that), but not while an admin's unlock is still on its way.
        if (user is not null && user.IsLockedAt(clock.GetUtcNow()) && user.LockVersion > reservation.Version)
        {
            var lockedUntil = ToUtc(user.LockedUntil);
            await budget.AdoptDatabaseLockAsync(reservation, lockedUntil, user.LockVersion);
            lockedAccounts.Remember(normalizedUsername, lockedUntil);
            return Answer(LoginOutcome.Locked, lockedUntil);
        }

        // From here the attempt is settled whatever becomes of the request: a verified password always counts.
        var verified = passwords.Verify(user?.PasswordHash, password);
        metrics.PasswordVerified();

        if (verified)
        {
            return Answer(await budget.RecordSuccessAsync(reservation) ? LoginOutcome.Success : LoginOutcome.Locked);
        }

        var failure = await budget.RecordFailureAsync(reservation, Activity.Current?.Id);
        if (failure.Status == FailureStatus.LockedNow)
        {
            metrics.AccountLocked();
            LogAccountLocked(logger, failure.Failures);
        }

        if (failure.Status != FailureStatus.Counted)
        {
            lockedAccounts.Remember(normalizedUsername, failure.LockedUntil);
        }

        return failure.Status == FailureStatus.Counted
            ? Answer(LoginOutcome.InvalidCredentials)
            : Answer(LoginOutcome.Locked, failure.LockedUntil);
    }

    private LoginResult Answer(LoginOutcome outcome, DateTimeOffset? lockedUntil = null)
    {
        metrics.LoginAttempted(outcome);
        return new LoginResult(outcome, lockedUntil);
    }

    private static DateTimeOffset? ToUtc(DateTime? value) => value is { } v ? new DateTimeOffset(DateTime.SpecifyKind(v, DateTimeKind.Utc)) : null;

    // The username is left out on purpose: logs must not become a list of which accounts are being guessed.
    // Information, not Warning: a credential-stuffing wave locks accounts by the thousand, and the locks metric
    // is the place to watch the rate.
    [LoggerMessage(Level = LogLevel.Information, Message = "An account was locked after {FailedAttempts} failed attempts; its LOCKED event is in the outbox.")]
    private static partial void LogAccountLocked(ILogger logger, int failedAttempts);
}

/// <param name="LockedUntil">When the answer is Locked by a timed lock: its end; null otherwise.</param>
public readonly record struct LoginResult(LoginOutcome Outcome, DateTimeOffset? LockedUntil = null);

public enum LoginOutcome
{
    Success,
    InvalidCredentials,
    Locked,
}
