using System.Net;
using Lockout.Benchmarks.Load;
using Lockout.Benchmarks.Measurement;

namespace Lockout.Benchmarks.Systems;

/// <summary>A login service under test: Lockout, or the baseline. Both answer the same <c>POST /login</c>.</summary>
internal interface ILoginSystem
{
    string Name { get; }

    IPEndPoint LoginEndpoint { get; }

    /// <summary>Every instance's endpoint, when the system runs several (Lockout's API instances); the load spreads over them.</summary>
    IReadOnlyList<IPEndPoint> LoginEndpoints => [LoginEndpoint];

    /// <summary>Its database on the shared PostgreSQL server, for the transaction counts; null when it has none.</summary>
    string? DatabaseName { get; }

    /// <summary>Whether it uses Lockout's Redis, whose commands are then counted for its runs.</summary>
    bool UsesRedis => false;

    /// <summary>
    /// One of the systems Lockout is measured against (Identity, the baseline): how it falls short under load is a
    /// finding the results report as a note, not a broken run.
    /// </summary>
    bool IsComparison => false;

    /// <summary>Its processes, by role, for memory and CPU.</summary>
    IReadOnlyList<ProcessGroup> Processes { get; }

    /// <summary>Creates the accounts directly in the database.</summary>
    Task SeedAsync(AccountSet accounts, CancellationToken cancellationToken);

    /// <summary>Called just before a run's load starts.</summary>
    Task BeginRunAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Once a run's load has ended: waits until <paramref name="expectedLocks"/> locks are committed (or a timeout),
    /// then reports what the system did to <paramref name="accounts"/>.
    /// </summary>
    /// <param name="expectedLocks">Null when the policy decides how many (a source throttle, Smart mode): wait until its decisions are recorded.</param>
    /// <param name="sources">The addresses the run claimed through <c>X-Forwarded-For</c>, for the source decisions; null when none.</param>
    Task<RunAudit> AuditAsync(AccountSet accounts, LoadOutcome outcome, int? expectedLocks, CancellationToken cancellationToken, IReadOnlyList<string>? sources = null);

    /// <summary>
    /// From the system's own records, so far in this run: the passwords it verified for the run's one account under
    /// wrong-password attack, and how many of those it answered 401. For wrk, which counts 401 and 423 as one figure.
    /// </summary>
    Task<VerificationCount> CountVerificationsAsync(AccountSet accounts, CancellationToken cancellationToken);
}

/// <summary>A system's own count of the wrong passwords it verified.</summary>
/// <param name="Verified">Passwords verified.</param>
/// <param name="AnsweredUnauthorized">Of those, the ones answered 401; the rest were answered 423 (the failure that locks, and in the baseline any that raced past it).</param>
internal readonly record struct VerificationCount(long Verified, long AnsweredUnauthorized);

/// <summary>What a system did to a run's accounts, from its own records.</summary>
/// <param name="Verifications">Passwords verified during the run.</param>
/// <param name="MaxVerificationsPerAccount">The most passwords verified for one account.</param>
/// <param name="LockedAccounts">Accounts whose lock is committed in the database.</param>
/// <param name="LockRows">Lock rows written (Lockout: LOCKED events; baseline: locked users).</param>
/// <param name="PeakLocksPerSecond">Most locks committed within one second.</param>
/// <param name="CatchUp">From the last answer to the last lock committed (zero when the locks were committed in-request).</param>
/// <param name="LockLatencyP50Ms">Decision to committed lock, median.</param>
/// <param name="Notes">Anything the system's own state says, e.g. Redis's failed-attempt count.</param>
/// <param name="LockSpan">From the first lock committed to the last.</param>
internal sealed record RunAudit(
    long Verifications,
    long MaxVerificationsPerAccount,
    long LockedAccounts,
    long LockRows,
    long PeakLocksPerSecond,
    TimeSpan CatchUp,
    double? LockLatencyP50Ms,
    double? LockLatencyP99Ms,
    IReadOnlyList<string> Problems,
    IReadOnlyList<string> Notes,
    TimeSpan LockSpan = default);
