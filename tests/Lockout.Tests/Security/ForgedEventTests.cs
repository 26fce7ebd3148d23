using System.Text;
using Confluent.Kafka;
using Dapper;
using Lockout.Events;
using Lockout.Tests.Infrastructure;
using Lockout.Writer.Services;

namespace Lockout.Tests.Security;

/// <summary>A writer on its own environment, for events produced straight to the real topic.</summary>
public sealed class WriterFixture(LocalInfrastructureFixture infrastructure) : IAsyncLifetime
{
    public TestEnvironment Environment { get; private set; } = null!;

    public WriterHost Writer { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Environment = await infrastructure.CreateEnvironmentAsync();
        Writer = new WriterHost(Environment).Start();
    }

    public async ValueTask DisposeAsync()
    {
        await Writer.DisposeAsync();
        await Environment.DisposeAsync();
    }
}

/// <summary>
/// Someone who can produce to <c>lockout-events</c> but does not hold the signing key, or who holds it and sends a
/// version no decision can have: each forgery reaches the dead-letter topic with its reason, the row stays as it was,
/// and a genuine event behind it on the same partition is still applied.
/// </summary>
public sealed class ForgedEventTests(WriterFixture fixture) : IClassFixture<WriterFixture>
{
    public enum Forgery
    {
        NoSignature,
        RandomSignature,
        SignedWithAnotherKey,
        ChangedAfterSigning,
        VersionMaxValue,
        VersionOneDayAhead,
    }

    private TestEnvironment Environment => fixture.Environment;

    [Theory]
    [InlineData(Forgery.NoSignature, "The message is not signed (no lockout-signature header).")]
    [InlineData(Forgery.RandomSignature, "The lockout-signature header does not match the message")]
    [InlineData(Forgery.SignedWithAnotherKey, "The lockout-signature header does not match the message")]
    [InlineData(Forgery.ChangedAfterSigning, "The lockout-signature header does not match the message")]
    [InlineData(Forgery.VersionMaxValue, "version 9223372036854775807 is beyond the writer's clock plus 5 minutes")]
    [InlineData(Forgery.VersionOneDayAhead, "is beyond the writer's clock plus 5 minutes")]
    public async Task A_forged_event_is_dead_lettered_with_its_reason_and_changes_nothing(Forgery forgery, string reason)
    {
        var username = TestEnvironment.NewUsername("forged").ToUpperInvariant();
        var lockedVersion = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 60_000;
        await CreateLockedUserAsync(username, lockedVersion);
        var before = await RowAsync(username);

        var (value, headers) = Forge(forgery, username);
        await Environment.ProduceAsync(LockoutTopics.Events, username, value, headers);

        var deadLetter = await Poll.UntilAsync(() => Task.FromResult(DeadLettersOf(username)), letters => letters.Count > 0, what: "the forged event on the dead-letter topic");
        Assert.Contains(reason, Header(Assert.Single(deadLetter), DeadLetterPublisher.ReasonHeader), StringComparison.Ordinal);
        Assert.Equal(value, deadLetter[0].Message.Value);
        Assert.Equal(before, await RowAsync(username));
        Assert.Empty(await Environment.AuditRowsAsync(username));

        // A genuine unlock behind it, on the same partition (same key): applied, so the forgery neither stopped the
        // partition nor, with its version, froze the row.
        var genuine = new LockoutEvent(Guid.CreateVersion7(), LockoutEventType.Unlocked, username, DateTimeOffset.UtcNow, 0, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Operator: "admin");
        await Environment.ProduceEventsAsync([genuine]);
        await Poll.UntilAsync(async () => await Environment.LockStatusAsync(username) == "UNLOCKED", what: "the genuine unlock behind the forgery");
        Assert.Equal(genuine.EventId.ToString(), Assert.Single(await Environment.AuditRowsAsync(username)).EventId);
        Assert.Single(DeadLettersOf(username));
    }

    /// <summary>
    /// The forgery: an UNLOCKED of the locked account (what an attacker wants) without a valid signature, or a signed
    /// LOCKED whose version would outrank every later decision (a row frozen for good).
    /// </summary>
    private (byte[] Value, Headers Headers) Forge(Forgery forgery, string username)
    {
        var now = DateTimeOffset.UtcNow;
        var unlock = new LockoutEvent(Guid.CreateVersion7(), LockoutEventType.Unlocked, username, now, 0, now.ToUnixTimeMilliseconds(), Operator: "mallory");
        var value = LockoutEventSerializer.Serialize(unlock);
        switch (forgery)
        {
            case Forgery.NoSignature:
                return (value, []);
            case Forgery.RandomSignature:
                return (value, new Headers { { EventSigner.Header, System.Security.Cryptography.RandomNumberGenerator.GetBytes(32) } });
            case Forgery.SignedWithAnotherKey:
                return (value, new Headers { { EventSigner.Header, new EventSigner($"not-the-events-key-{Guid.NewGuid():N}").Sign(username, value) } });
            case Forgery.ChangedAfterSigning:
                // A genuine, signed LOCKED of the account, its type then changed on the way.
                var locked = LockoutEventSerializer.Serialize(unlock with { Type = LockoutEventType.Locked, Attempts = 5 });
                return (value, Environment.SignedHeaders(username, locked));
            default:
                var version = forgery == Forgery.VersionMaxValue ? long.MaxValue : now.AddDays(1).ToUnixTimeMilliseconds();
                var frozen = LockoutEventSerializer.Serialize(unlock with { Type = LockoutEventType.Locked, Attempts = 5, Operator = null, Version = version });
                return (frozen, Environment.SignedHeaders(username, frozen));
        }
    }

    private async Task CreateLockedUserAsync(string username, long version)
    {
        await using var connection = await Environment.Database.OpenConnectionAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO USERS (USERNAME, NORMALIZED_USERNAME, PASSWORD_HASH, LOCK_STATUS, LOCKED_AT, LOCK_VERSION, CREATED_AT)
            VALUES (@u, @u, 'x', 'LOCKED', CURRENT_TIMESTAMP, @version, CURRENT_TIMESTAMP)
            """,
            new { u = username, version });
    }

    private async Task<(string Status, long Version, DateTime? LockedAt)> RowAsync(string username)
    {
        await using var connection = await Environment.Database.OpenConnectionAsync();
        return await connection.QuerySingleAsync<(string, long, DateTime?)>(
            "SELECT LOCK_STATUS, LOCK_VERSION, LOCKED_AT FROM USERS WHERE NORMALIZED_USERNAME = @u", new { u = username });
    }

    private List<ConsumeResult<byte[]?, byte[]?>> DeadLettersOf(string username) =>
        [.. Environment.ReadTopic(LockoutTopics.DeadLetter).Where(message => message.Message.Key is { } key && Encoding.UTF8.GetString(key) == username)];

    private static string Header(ConsumeResult<byte[]?, byte[]?> message, string name) =>
        Encoding.UTF8.GetString(message.Message.Headers.GetLastBytes(name));
}
