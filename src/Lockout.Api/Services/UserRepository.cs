using Dapper;
using Lockout.Database;
using Npgsql;

namespace Lockout.Api.Services;

/// <summary>
/// The API's reads of <c>USERS</c> and <c>LOCKOUT_EVENTS</c>, and user creation. The login path only reads:
/// lock status is written by Lockout.Writer alone.
/// </summary>
public sealed class UserRepository(NpgsqlDataSource dataSource)
{
    private const string UniqueViolation = "23505";

    public async Task<UserAccount?> FindForLoginAsync(string normalizedUsername, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<UserAccount>(new CommandDefinition(
            LockoutSql.FindUserForLogin, new { NormalizedUsername = normalizedUsername }, cancellationToken: cancellationToken));
    }

    public async Task<UserLockStatus?> FindLockStatusAsync(string normalizedUsername, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<UserLockStatus>(new CommandDefinition(
            LockoutSql.FindLockStatus, new { NormalizedUsername = normalizedUsername }, cancellationToken: cancellationToken));
    }

    /// <summary>Creates a user; false when the (normalized) username is taken.</summary>
    public async Task<bool> TryCreateAsync(string username, string normalizedUsername, string passwordHash, DateTimeOffset createdAt, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(
                LockoutSql.InsertUser,
                new { Username = username, NormalizedUsername = normalizedUsername, PasswordHash = passwordHash, CreatedAt = createdAt.UtcDateTime },
                cancellationToken: cancellationToken));
            return true;
        }
        catch (PostgresException exception) when (exception.SqlState == UniqueViolation)
        {
            return false;
        }
    }

    public async Task<IReadOnlyList<AuditEvent>> ListEventsAsync(string normalizedUsername, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var events = await connection.QueryAsync<AuditEvent>(new CommandDefinition(
            LockoutSql.ListLockoutEvents, new { NormalizedUsername = normalizedUsername }, cancellationToken: cancellationToken));
        return events.AsList();
    }
}

/// <summary>What a login needs from <c>USERS</c>: the hash and the authoritative lock.</summary>
public sealed record UserAccount(string PasswordHash, string LockStatus, DateTime? LockedUntil, long LockVersion)
{
    /// <summary>The hasher's user argument; Identity's hasher does not read it.</summary>
    public static readonly UserAccount None = new("", Database.LockStatus.Unlocked, null, 0);

    public bool IsLockedAt(DateTimeOffset now) =>
        LockStatus == Database.LockStatus.Locked && (LockedUntil is null || new DateTimeOffset(LockedUntil.Value, TimeSpan.Zero) > now);
}

public sealed record UserLockStatus(string Username, string LockStatus, DateTime? LockedAt, DateTime? LockedUntil, long LockVersion);

public sealed record AuditEvent(string EventId, string EventType, DateTime OccurredAt, DateTime RecordedAt, int Attempts, DateTime? LockedUntil, string? TraceId);
