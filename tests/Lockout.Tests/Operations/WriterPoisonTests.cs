using System.Text;
using Confluent.Kafka;
using Dapper;
using Lockout.Events;
using Lockout.Tests.Infrastructure;
using Lockout.Writer.Services;

namespace Lockout.Tests.Operations;

/// <summary>Events the database will never take are dead-lettered, and one partition's trouble stays its own.</summary>
public sealed class WriterPoisonTests(LocalInfrastructureFixture infrastructure) : IAsyncLifetime
{
    private TestEnvironment _environment = null!;
    private WriterHost _writer = null!;

    public async ValueTask InitializeAsync()
    {
        _environment = await infrastructure.CreateEnvironmentAsync(kafkaPartitions: 4);
        _writer = new WriterHost(_environment, new Dictionary<string, string?> { ["Lockout:Writer:MaxRetryDelay"] = "00:00:01" }).Start();
    }

    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync();
        await _environment.DisposeAsync();
    }

    [Fact]
    public async Task An_event_whose_username_is_not_normalized_is_dead_lettered_before_the_database_sees_it()
    {
        var after = Locked("NEXT");
        var poison = Locked("BAD") with { Username = "BAD\u0000" + Guid.NewGuid().ToString("N").ToUpperInvariant() };

        await _environment.ProduceEventsToPartitionAsync(0, [poison, after]);

        await Poll.UntilAsync(async () => (await _environment.AuditRowsAsync(after.Username)).Count == 1, what: "the event behind the bad one");
        var deadLetter = Assert.Single(_environment.ReadTopic(LockoutTopics.DeadLetter));
        Assert.Contains("not a normalized username", Header(deadLetter, DeadLetterPublisher.ReasonHeader), StringComparison.Ordinal);
        Assert.Equal(1, await _environment.CountAuditRowsAsync());
    }

    [Fact]
    public async Task An_event_the_database_refuses_is_dead_lettered_with_its_reason_and_the_rest_of_its_batch_is_applied()
    {
        // A rule the database enforces and the writer's validation does not know: it will refuse that event for good.
        await using (var connection = await _environment.Database.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("ALTER TABLE LOCKOUT_EVENTS ADD CONSTRAINT CK_TEST_NO_POISON CHECK (USERNAME NOT LIKE 'POISON%')");
        }

        var before = Locked("FIRST");
        var poison = Locked("POISON");
        var after = Locked("LAST");

        await _environment.ProduceEventsToPartitionAsync(1, [before, poison, after]);

        await Poll.UntilAsync(async () => await _environment.CountAuditRowsAsync() == 2 && _environment.ReadTopic(LockoutTopics.DeadLetter).Count == 1, what: "two rows and one dead letter");
        Assert.Single(await _environment.AuditRowsAsync(before.Username));
        Assert.Single(await _environment.AuditRowsAsync(after.Username));
        var deadLetter = Assert.Single(_environment.ReadTopic(LockoutTopics.DeadLetter));
        Assert.Equal(poison.Username, Encoding.UTF8.GetString(deadLetter.Message.Key!));
        Assert.StartsWith("The database refused the event: 23514", Header(deadLetter, DeadLetterPublisher.ReasonHeader), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_partition_held_up_by_the_database_does_not_hold_up_the_others()
    {
        var stuck = Locked("STUCK");
        var free = Locked("FREE");
        await using var blocker = await _environment.Database.OpenConnectionAsync();
        await blocker.ExecuteAsync(
            "INSERT INTO USERS (USERNAME, NORMALIZED_USERNAME, PASSWORD_HASH, CREATED_AT) VALUES (@u, @u, 'x', CURRENT_TIMESTAMP)",
            new { u = stuck.Username });
        await using var transaction = await blocker.BeginTransactionAsync();
        await blocker.ExecuteAsync("SELECT 1 FROM USERS WHERE NORMALIZED_USERNAME = @u FOR UPDATE", new { u = stuck.Username }, transaction);

        // The row is locked: the writer's update of it waits for the blocker.
        await _environment.ProduceEventsToPartitionAsync(2, [stuck]);
        await Poll.UntilAsync(WriterIsBlockedAsync, what: "the stuck partition's batch to wait on the lock");
        await _environment.ProduceEventsToPartitionAsync(3, [free]);

        await Poll.UntilAsync(async () => (await _environment.AuditRowsAsync(free.Username)).Count == 1, what: "the other partition's event");
        Assert.Empty(await _environment.AuditRowsAsync(stuck.Username));

        await transaction.CommitAsync();
        await Poll.UntilAsync(async () => await _environment.LockStatusAsync(stuck.Key) == "LOCKED", what: "the stuck event once the lock is gone");
    }

    private async Task<bool> WriterIsBlockedAsync()
    {
        await using var connection = await _environment.Database.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<bool>(
            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock')");
    }

    private static LockoutEvent Locked(string prefix) =>
        new(Guid.CreateVersion7(), LockoutEventType.Locked, TestEnvironment.NewUsername(prefix).ToUpperInvariant(), DateTimeOffset.UtcNow, 5, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

    private static string Header(ConsumeResult<byte[]?, byte[]?> message, string name) =>
        Encoding.UTF8.GetString(message.Message.Headers.GetLastBytes(name));
}
