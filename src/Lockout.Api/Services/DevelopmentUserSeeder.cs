using Lockout.Events;
using Lockout.ServiceDefaults;
using Polly;

namespace Lockout.Api.Services;

/// <summary>In Development, creates the seed's user <c>john</c> / <c>password123</c> if absent.</summary>
public sealed partial class DevelopmentUserSeeder(
    UserRepository users,
    PasswordVerifier passwords,
    TimeProvider clock,
    ILogger<DevelopmentUserSeeder> logger) : BackgroundService
{
    public const string Username = "john";
    public const string Password = "password123";

    // The writer owns the schema; until its migrations ran the table may be missing.
    private readonly ResiliencePipeline _untilTheSchemaExists = StartupRetry.Create(
        exception => exception is Npgsql.NpgsqlException,
        (exception, delay) => LogRetrying(logger, delay.TotalSeconds, exception),
        clock);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var created = await _untilTheSchemaExists.ExecuteAsync(
            async token => await users.TryCreateAsync(Username, UsernameNormalizer.Normalize(Username), passwords.Hash(Password), clock.GetUtcNow(), token),
            stoppingToken);
        LogSeeded(logger, Username, created);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Development seed user {Username} ready (created now: {Created}).")]
    private static partial void LogSeeded(ILogger logger, string username, bool created);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not seed the development user yet; retrying in {DelaySeconds} s.")]
    private static partial void LogRetrying(ILogger logger, double delaySeconds, Exception exception);
}
