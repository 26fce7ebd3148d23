using Lockout.Events;
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

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var created = await users.TryCreateAsync(Username, UsernameNormalizer.Normalize(Username), passwords.Hash(Password), clock.GetUtcNow(), stoppingToken);
                LogSeeded(logger, Username, created);
                return;
            }
            catch (Npgsql.NpgsqlException exception)
            {
                // The writer owns the schema; until its migrations ran the table may be missing.
                LogRetrying(logger, exception);
                await Task.Delay(delay, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Development seed user {Username} ready (created now: {Created}).")]
    private static partial void LogSeeded(ILogger logger, string username, bool created);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not seed the development user yet; retrying.")]
    private static partial void LogRetrying(ILogger logger, Exception exception);
}
