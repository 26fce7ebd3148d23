using Npgsql;

namespace Lockout.Benchmarks.Baseline;

/// <summary>The baseline's reads and writes of <c>BASELINE_USERS</c>, each its own autocommit statement.</summary>
internal sealed class BaselineUserStore(NpgsqlDataSource dataSource)
{
    public async Task<BaselineUser?> FindAsync(string normalizedUsername, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(BaselineSql.FindUser);
        command.Parameters.AddWithValue("NormalizedUsername", normalizedUsername);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new BaselineUser(
            reader.GetInt64(0),
            reader.GetString(1),
            reader.GetInt32(2),
            reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3));
    }

    /// <summary>Counts a wrong password; returns the failed count after it.</summary>
    public async Task<int> RecordFailureAsync(long userId, int maxFailedAttempts, DateTimeOffset lockoutEnd, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(BaselineSql.RecordFailure);
        command.Parameters.AddWithValue("UserId", userId);
        command.Parameters.AddWithValue("MaxFailedAttempts", maxFailedAttempts);
        command.Parameters.AddWithValue("LockoutEnd", lockoutEnd);
        return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task ResetFailuresAsync(long userId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(BaselineSql.ResetFailures);
        command.Parameters.AddWithValue("UserId", userId);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

internal sealed record BaselineUser(long UserId, string PasswordHash, int AccessFailedCount, DateTimeOffset? LockoutEnd)
{
    public bool IsLockedAt(DateTimeOffset now) => LockoutEnd is { } end && end > now;
}
