using Lockout.Database;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Lockout.Writer.Services;

/// <summary>
/// Forgets the audit rows of usernames that do not exist, and of decisions about sources alone, once they are older
/// than the retention, as Redis forgets their locks: storage stays bounded under a stuffing list of made-up names or a
/// botnet's addresses. Real users' rows are kept.
/// </summary>
public sealed partial class AuditRetention(
    NpgsqlDataSource dataSource,
    DatabaseSchema schema,
    TimeProvider clock,
    IOptions<LockoutWriterOptions> options,
    ILogger<AuditRetention> logger) : BackgroundService
{
    private const int RowsPerStatement = 10_000;

    private readonly LockoutWriterOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await schema.WaitUntilReadyAsync(stoppingToken);
            using var timer = new PeriodicTimer(_options.RetentionInterval, clock);
            do
            {
                try
                {
                    await PurgeAsync(stoppingToken);
                }
                catch (NpgsqlException exception)
                {
                    // The next run tries again; nothing is lost by waiting.
                    LogPurgeFailed(logger, exception);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task PurgeAsync(CancellationToken cancellationToken)
    {
        var olderThan = clock.GetUtcNow() - _options.UnknownUserAuditRetention;
        var total = 0;
        int deleted;
        do
        {
            await using var command = dataSource.CreateCommand(LockoutSql.PurgeExpiredEvents);
            command.Parameters.AddWithValue("OlderThan", olderThan);
            command.Parameters.AddWithValue("MaxRows", RowsPerStatement);
            deleted = (int)(await command.ExecuteScalarAsync(cancellationToken))!;
            total += deleted;
        }
        while (deleted == RowsPerStatement);

        if (total > 0)
        {
            LogPurged(logger, total);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Forgot {Count} audit rows of unknown usernames and of sources, past their retention.")]
    private static partial void LogPurged(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not forget expired audit rows of unknown usernames; the next run tries again.")]
    private static partial void LogPurgeFailed(ILogger logger, Exception exception);
}
