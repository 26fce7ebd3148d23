using Dapper;
using Lockout.Database;
using Npgsql;
using Polly;
using Polly.Retry;

namespace Lockout.Api.Services;

/// <summary>
/// The API's reads of <c>USERS</c> and <c>LOCKOUT_EVENTS</c>, and user creation. The login path only reads:
/// lock status is written by Lockout.Writer alone.
/// </summary>
public sealed partial class UserRepository(NpgsqlDataSource dataSource, ILogger<UserRepository> logger)
{
    private const string UniqueViolation = "23505";

    // After a database restart or failover the pool still holds connections the server has closed, and Npgsql finds
    // out only when one is used. A transient failure empties the pool and the statement runs again on a fresh
    // connection, so an outage ends for users when the database is back, not a pool's worth of 503s later.
    // Built here rather than through Polly's DI registration, whose telemetry logs each attempt's result: a result
    // here can hold a password hash.
    private readonly ResiliencePipeline _retry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            // Not 57P03, "cannot connect now": the server refuses new connections while it starts up or shuts down,
            // and a retry only hands it one more to refuse. While a fast shutdown's checkpoint runs, PostgreSQL refuses
            // them one at a time (some 25 ms each on two cores), so the logins in flight wait behind each other's
            // attempts: with these retried, 16 logins waited 2 to 2.6 s for their 503 (PostgresRestartTests).
            ShouldHandle = new PredicateBuilder().Handle<NpgsqlException>(exception =>
                exception.IsTransient && exception is not PostgresException { SqlState: PostgresErrorCodes.CannotConnectNow }),
            MaxRetryAttempts = 2,
            Delay = TimeSpan.FromMilliseconds(50),
            OnRetry = arguments =>
            {
                LogRetry(logger, arguments.AttemptNumber + 1, arguments.Outcome.Exception!.Message);
                dataSource.Clear();
                return ValueTask.CompletedTask;
            },
        })
        .Build();

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

    public Task<IReadOnlyList<AuditEvent>> ListSourceEventsAsync(string source, CancellationToken cancellationToken) =>
        WithConnectionAsync<IReadOnlyList<AuditEvent>>(
            async (connection, token) => (await connection.QueryAsync<AuditEvent>(new CommandDefinition(
                LockoutSql.ListSourceEvents, new { Source = source }, cancellationToken: token))).AsList(),
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

    [LoggerMessage(LogLevel.Warning, "A database statement failed on a closed connection ({Reason}); the pool is cleared and attempt {Attempt} runs on a fresh one.")]
    private static partial void LogRetry(ILogger logger, int attempt, string reason);
}

/// <summary>What a login needs from <c>USERS</c>: the hash and the authoritative lock.</summary>
public sealed record UserAccount(string PasswordHash, string LockStatus, DateTime? LockedUntil, long LockVersion)
{
    /// <summary>The hasher's user argument; Identity's hasher does not read it.</summary>
    public static readonly UserAccount None = new("", Database.LockStatus.Unlocked, null, 0);

    public bool IsLockedAt(DateTimeOffset now) =>
        LockStatus == Database.LockStatus.Locked && (LockedUntil is null || new DateTimeOffset(LockedUntil.Value, TimeSpan.Zero) > now);

    /// <summary>Without the hash, so a log or a debugger display of the account never shows it.</summary>
    public override string ToString() =>
        $"{nameof(UserAccount)} {{ {nameof(LockStatus)} = {LockStatus}, {nameof(LockedUntil)} = {LockedUntil}, {nameof(LockVersion)} = {LockVersion} }}";
}

public sealed record UserLockStatus(string Username, string LockStatus, DateTime? LockedAt, DateTime? LockedUntil, long LockVersion);

public sealed record AuditEvent(
    string EventId, string EventType, DateTime OccurredAt, DateTime RecordedAt, int Attempts, DateTime? LockedUntil, string? TraceId,
    string? Source, int? Level, string? Operator);
