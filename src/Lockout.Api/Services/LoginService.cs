using System.Diagnostics;
using Lockout.Api.Clients;
using Lockout.Api.Telemetry;
using Lockout.Events;

namespace Lockout.Api.Services;

/// <summary>
/// Answers one login: check the source, reserve an attempt in Redis, read the user, verify, settle the attempt (and
/// the source's) in Redis. Never writes to the database.
/// </summary>
public sealed partial class LoginService(
    GuessBudget budget,
    SourceThrottle sources,
    LockedAccountCache lockedAccounts,
    SourceMemory sourceMemory,
    UserRepository users,
    PasswordVerifier passwords,
    WrongPasswordTags wrongPasswords,
    LockoutApiMetrics metrics,
    TimeProvider clock,
    ILogger<LoginService> logger)
{
    public async Task<LoginResult> LoginAsync(string username, string password, RequestSource client, CancellationToken cancellationToken)
    {
        var normalizedUsername = UsernameNormalizer.Normalize(username);
        var smart = budget.Mode == LockoutMode.Smart;
        // In Smart mode a refusal is for one source only: the account stays open to the ones it knows.
        var refusalScope = smart ? client.Source : "";

        // Refusals this instance remembers cost no Redis round trip: a flood from a throttled source, or on a locked
        // account, is answered from memory.
        if (!client.AllowListed && sourceMemory.ThrottledUntil(client.Source) is { } throttledUntil)
        {
            return Answer(LoginOutcome.Throttled, throttledUntil);
        }

        if (lockedAccounts.IsLocked(normalizedUsername, refusalScope, out var rememberedUntil))
        {
            return Answer(LoginOutcome.Locked, rememberedUntil);
        }

        // A throttled source is answered before anything about the account is read, unless this instance saw it far
        // below its limit a moment ago (the reservation below still holds it to the limit exactly).
        if (!client.AllowListed && !sourceMemory.HasHeadroom(client.Source))
        {
            var state = await sources.ReadAsync(client.Source);
            if (state.Throttled)
            {
                return Throttled(client.Source, state.RetryAfter!.Value);
            }

            sourceMemory.RememberFailures(client.Source, state.Failures, sources.MaxFailures);
        }

        var passwordTag = smart ? wrongPasswords.TagOf(normalizedUsername, password) : "";
        var reservation = await budget.ReserveAsync(normalizedUsername, client.Source, passwordTag);
        if (reservation.Status != ReservationStatus.Reserved)
        {
            return Refused(reservation, normalizedUsername, refusalScope);
        }

        // The user's row is read while the source's slot is reserved: two round trips at once. The read is wasted only
        // when the source turns out to be throttled.
        var userRead = users.FindForLoginAsync(normalizedUsername, cancellationToken);

        // A verification is about to happen: it takes a slot of the source's budget too, or none happens.
        SourceReservation? sourceReservation = null;
        if (!client.AllowListed)
        {
            try
            {
                sourceReservation = await sources.ReserveAsync(client.Source);
            }
            catch
            {
                Abandon(userRead);
                await budget.ReleaseAsync(reservation);
                throw;
            }

            sourceMemory.RememberFailures(client.Source, sourceReservation.Failures, sources.MaxFailures);
            if (sourceReservation.Throttled)
            {
                Abandon(userRead);
                await budget.ReleaseAsync(reservation);
                return Throttled(client.Source, sourceReservation.RetryAfter!.Value);
            }
        }

        UserAccount? user;
        try
        {
            user = await userRead;
        }
        catch
        {
            await budget.ReleaseAsync(reservation);
            await ReleaseAsync(sourceReservation);
            throw;
        }

        if (reservation.PendingVersion > 0)
        {
            // Redis keeps its last decision until the database shows it; this read may be the one that does.
            await budget.ConfirmAppliedAsync(normalizedUsername, user?.LockVersion);
        }

        // The database's lock wins over Redis only when it is newer than anything Redis decided: after Redis
        // lost its state (nobody is unlocked by that), but not while an admin's unlock is still on its way.
        if (user is not null && user.IsLockedAt(clock.GetUtcNow()) && user.LockVersion > reservation.Version)
        {
            var lockedUntil = ToUtc(user.LockedUntil);
            await budget.AdoptDatabaseLockAsync(reservation, lockedUntil, user.LockVersion);
            await ReleaseAsync(sourceReservation);
            lockedAccounts.Remember(normalizedUsername, refusalScope, lockedUntil);
            return Answer(LoginOutcome.Locked, lockedUntil);
        }

        // From here the attempt is settled whatever becomes of the request: a verified password always counts.
        var verified = passwords.Verify(user?.PasswordHash, password);
        var traceParent = Activity.Current?.Id;

        if (verified)
        {
            var signedIn = budget.RecordSuccessAsync(reservation);
            await SettleSourceAsync(sourceReservation, failed: false, traceParent);
            return Answer(await signedIn ? LoginOutcome.Success : LoginOutcome.Locked);
        }

        var recorded = budget.RecordFailureAsync(reservation, knownUser: user is not null, traceParent, passwordTag);
        await SettleSourceAsync(sourceReservation, failed: true, traceParent);
        var failure = await recorded;
        switch (failure.Status)
        {
            case FailureStatus.LockedNow:
                metrics.AccountLocked();
                metrics.Decided(LockoutEventType.Locked);
                LogAccountLocked(logger, failure.Failures);
                break;
            case FailureStatus.SourceBlockedNow:
                metrics.Decided(LockoutEventType.SourceBlocked);
                break;
        }

        if (failure.Status == FailureStatus.Counted)
        {
            return Answer(LoginOutcome.InvalidCredentials);
        }

        lockedAccounts.Remember(normalizedUsername, refusalScope, failure.LockedUntil);
        return Answer(LoginOutcome.Locked, failure.LockedUntil);
    }

    private LoginResult Refused(Reservation reservation, string normalizedUsername, string refusalScope)
    {
        switch (reservation.Status)
        {
            case ReservationStatus.RepeatedWrongPassword:
                // One of the account's recent wrong passwords: known to be wrong, so not verified and not counted.
                return Answer(LoginOutcome.InvalidCredentials);

            case ReservationStatus.Locked or ReservationStatus.SourceBlocked:
                lockedAccounts.Remember(normalizedUsername, refusalScope, reservation.LockedUntil);
                return Answer(LoginOutcome.Locked, reservation.LockedUntil);

            default:
                // The budget is spent. Not remembered: the attempts in flight may end in a right password, and then the
                // account is open. Smart mode knows when the cap frees a slot.
                return Answer(LoginOutcome.Locked, reservation.RetryAfter is { } retryAfter ? clock.GetUtcNow() + retryAfter : null);
        }
    }

    private LoginResult Throttled(string source, TimeSpan retryAfter)
    {
        sourceMemory.RememberThrottled(source, retryAfter);
        return Answer(LoginOutcome.Throttled, clock.GetUtcNow() + retryAfter);
    }

    private async Task SettleSourceAsync(SourceReservation? reservation, bool failed, string? traceParent)
    {
        if (reservation is not null && await sources.SettleAsync(reservation, failed, traceParent))
        {
            metrics.Decided(LockoutEventType.SourceThrottled);
            LogSourceThrottled(logger);
        }
    }

    private async Task ReleaseAsync(SourceReservation? reservation)
    {
        if (reservation is not null)
        {
            await sources.ReleaseAsync(reservation);
        }
    }

    /// <summary>A read whose answer is no longer wanted: its failure, if it fails, is observed rather than left unobserved.</summary>
    private static void Abandon(Task read) =>
        read.ContinueWith(static task => _ = task.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private LoginResult Answer(LoginOutcome outcome, DateTimeOffset? retryAt = null)
    {
        metrics.LoginAttempted(outcome);
        return new LoginResult(outcome, retryAt);
    }

    private static DateTimeOffset? ToUtc(DateTime? value) => value is { } v ? new DateTimeOffset(DateTime.SpecifyKind(v, DateTimeKind.Utc)) : null;

    // The username is left out on purpose: logs must not become a list of which accounts are being guessed.
    // Information, not Warning: a credential-stuffing wave locks accounts by the thousand, and the locks metric
    // is the place to watch the rate.
    [LoggerMessage(Level = LogLevel.Information, Message = "An account was locked after {FailedAttempts} failed attempts; its LOCKED event is in the outbox.")]
    private static partial void LogAccountLocked(ILogger logger, int failedAttempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A source reached its failure limit across accounts and is throttled; its SOURCE_THROTTLED event is in the outbox.")]
    private static partial void LogSourceThrottled(ILogger logger);
}

/// <param name="RetryAt">When trying again can succeed (a timed lock or block, a throttle); null when not known.</param>
public readonly record struct LoginResult(LoginOutcome Outcome, DateTimeOffset? RetryAt = null);

public enum LoginOutcome
{
    Success,
    InvalidCredentials,
    Locked,

    /// <summary>The source failed too often across accounts (429).</summary>
    Throttled,
}
