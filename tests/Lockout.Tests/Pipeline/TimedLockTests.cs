using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Lockout.Tests.Infrastructure;

namespace Lockout.Tests.Pipeline;

/// <summary>A pipeline whose locks end by themselves after ten minutes (<c>Lockout:Policy:LockDuration</c>).</summary>
public sealed class TimedLockPipelineFixture(LocalInfrastructureFixture infrastructure) : PipelineFixture(infrastructure)
{
    public static readonly TimeSpan LockDuration = TimeSpan.FromMinutes(10);

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Lockout:Policy:LockDuration"] = LockDuration.ToString("c", CultureInfo.InvariantCulture),
        ["Lockout:PasswordHasher:IterationCount"] = "1000",
    };
}

public sealed class TimedLockTests(TimedLockPipelineFixture pipeline) : IClassFixture<TimedLockPipelineFixture>
{
    private const string Password = "right";

    private readonly HttpClient _client = pipeline.Api.CreateClient();

    [Fact]
    public async Task A_timed_lock_reaches_the_database_with_its_end_and_its_423_says_when_to_try_again()
    {
        var username = TestEnvironment.NewUsername("timed");
        await pipeline.Api.CreateUserAsync(username, Password);

        for (var attempt = 1; attempt <= 4; attempt++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await LoginAsync(username, "wrong")).Status);
        }

        var locking = await LoginAsync(username, "wrong");
        var refused = await LoginAsync(username, Password);

        foreach (var answer in new[] { locking, refused })
        {
            Assert.Equal(HttpStatusCode.Locked, answer.Status);
            Assert.NotNull(answer.RetryAfterSeconds);
            Assert.InRange(answer.RetryAfterSeconds.Value, 1, (long)TimedLockPipelineFixture.LockDuration.TotalSeconds);
        }

        var state = await Poll.UntilAsync(() => LockoutStateAsync(username), s => s.GetProperty("dbLockStatus").GetString() == "LOCKED", what: "the timed lock in USERS");
        var lockedUntil = state.GetProperty("lockedUntil").GetDateTimeOffset();
        Assert.Equal(lockedUntil, state.GetProperty("dbLockedUntil").GetDateTimeOffset());
        Assert.Equal(TimedLockPipelineFixture.LockDuration, lockedUntil - state.GetProperty("dbLockedAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task A_database_lock_that_has_not_ended_is_adopted_after_redis_lost_its_state()
    {
        var username = TestEnvironment.NewUsername("adopt");
        await pipeline.Api.CreateUserAsync(username, Password);
        var lockedUntil = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 300); // whole seconds: the row keeps microseconds, Redis milliseconds
        await LockInDatabaseAsync(username, lockedUntil);
        await pipeline.Environment.FlushRedisAsync();

        var answer = await LoginAsync(username, Password);

        Assert.Equal(HttpStatusCode.Locked, answer.Status);
        Assert.NotNull(answer.RetryAfterSeconds);
        Assert.InRange(answer.RetryAfterSeconds.Value, 1, 300);
        var state = await LockoutStateAsync(username);
        Assert.True(state.GetProperty("locked").GetBoolean()); // remembered in Redis again
        Assert.Equal(lockedUntil, state.GetProperty("lockedUntil").GetDateTimeOffset());
    }

    [Fact]
    public async Task A_database_lock_that_has_ended_is_not_adopted()
    {
        var username = TestEnvironment.NewUsername("ended");
        await pipeline.Api.CreateUserAsync(username, Password);
        await LockInDatabaseAsync(username, DateTimeOffset.UtcNow.AddMinutes(-1)); // a lock that ended a minute ago
        await pipeline.Environment.FlushRedisAsync();

        var answer = await LoginAsync(username, Password);

        Assert.Equal((HttpStatusCode.OK, (long?)null), (answer.Status, answer.RetryAfterSeconds));
        Assert.False((await LockoutStateAsync(username)).GetProperty("locked").GetBoolean());
    }

    /// <summary>
    /// A timed LOCKED row newer than anything Redis decided, as the writer leaves it (written here directly, so the
    /// row's end can lie in the past).
    /// </summary>
    private async Task LockInDatabaseAsync(string username, DateTimeOffset lockedUntil)
    {
        await using var connection = await pipeline.Environment.Database.OpenConnectionAsync();
        await connection.ExecuteAsync(
            """
            UPDATE USERS SET LOCK_STATUS = 'LOCKED', LOCKED_AT = @lockedAt, LOCKED_UNTIL = @lockedUntil, LOCK_VERSION = @version
             WHERE NORMALIZED_USERNAME = @username
            """,
            new
            {
                username = username.ToUpperInvariant(),
                lockedAt = lockedUntil.UtcDateTime - TimedLockPipelineFixture.LockDuration,
                lockedUntil = lockedUntil.UtcDateTime,
                version = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 1_000_000,
            });
    }

    private async Task<JsonElement> LockoutStateAsync(string username)
    {
        using var admin = pipeline.Api.CreateAdminClient();
        return await admin.GetFromJsonAsync<JsonElement>($"/admin/users/{username}/lockout");
    }

    private async Task<(HttpStatusCode Status, long? RetryAfterSeconds)> LoginAsync(string username, string password)
    {
        using var response = await _client.PostAsJsonAsync("/login", new { username, password });
        return (response.StatusCode, response.Headers.RetryAfter?.Delta is { } delta ? (long)delta.TotalSeconds : null);
    }
}
