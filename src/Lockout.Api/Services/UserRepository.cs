using Dapper;
using Lockout.Database;
using Npgsql;
using Polly;
using Polly.Registry;

namespace Lockout.Api.Services;

/// <summary>
/// The API's reads of <c>USERS</c> and <c>LOCKOUT_EVENTS</c>, and user creation. The login path only reads:
/// lock status is written by Lockout.Writer alone.
/// </summary>
public sealed class UserRepository(NpgsqlDataSource dataSource, ResiliencePipelineProvider<string> pipelines)
{
    /// <summary>The retry of a statement that failed on a connection the server had already closed.</summary>
    public const string ResiliencePipelineName = "lockoutdb";

    private const string UniqueViolation = "23505";

    private readonly ResiliencePipeline _retry = pipelines.GetPipeline(ResiliencePipelineName);

    public Task<UserAccount?> FindForLoginAsync(string normalizedUsername, CancellationToken cancellationToken) =>
        WithConnectionAsync(
            (connection, token) => connection.QuerySingleOrDefaultAsync<UserAccount>(new CommandDefinition(
                LockoutSql.FindUserForLogin, new { NormalizedUsername = normalizedUsername }, cancellationToken: token)),
            cancellationToken);

    public Task<UserLockStatus?> FindLockStatusAsync(string normalizedUsername, CancellationToken cancellationToken) =>
        WithConnectionAsync(
            (connection, token) => connection.QuerySingleOrDefaultAsync<UserLockStatus>(new CommandDefinition(
                LockoutSql.FindLockStatus, new { NormalizedUsername = normalizedUsername }, cancellationToken: token)),
            cancellationToken);

    /// <summary>Creates a user; false when the (normalized) username is taken.</summary>
    public Task<bool> TryCreateAsync(string username, string normalizedUsername, string passwordHash, DateTimeOffset createdAt, CancellationToken cancellationToken) =>
        WithConnectionAsync(
            async (connection, token) =>
            {
                try
                {
                    await connection.ExecuteAsync(new CommandDefinition(
                        LockoutSql.InsertUser,
                        new { Username = username, NormalizedUsername = normalizedUsername, PasswordHash = passwordHash, CreatedAt = createdAt.UtcDateTime },
                        cancellationToken: token));
                    return true;
                }
                catch (PostgresException exception) when (exception.SqlState == UniqueViolation)
                {
                    return false;
                }
            },
            cancellationToken);

    public Task<IReadOnlyList<AuditEvent>> ListEventsAsync(string normalizedUsername, CancellationToken cancellationToken) =>
        WithConnectionAsync<IReadOnlyList<AuditEvent>>(
            async (connection, token) => (await connection.QueryAsync<AuditEvent>(new CommandDefinition(
                LockoutSql.ListLockoutEvents, new { NormalizedUsername = normalizedUsername }, cancellationToken: token))).AsList(),
            cancellationToken);

    private async Task<T> WithConnectionAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> statement, CancellationToken cancellationToken) =>
        await _retry.ExecuteAsync(
            async token =>
            {
                await using var connection = await dataSource.OpenConnectionAsync(token);
                return await statement(connection, token);
            },
            cancellationToken);
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
