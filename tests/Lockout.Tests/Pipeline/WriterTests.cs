using System.Text;
using Confluent.Kafka;
using Dapper;
using Lockout.Events;
using Lockout.KafkaMock;
using Lockout.Tests.Infrastructure;
using Lockout.Writer.Services;

namespace Lockout.Tests.Pipeline;

public sealed class WriterTests(LocalInfrastructureFixture infrastructure) : IAsyncLifetime
{
    private TestEnvironment _environment = null!;

    public async ValueTask InitializeAsync() => _environment = await infrastructure.CreateEnvironmentAsync();

    public ValueTask DisposeAsync() => _environment.DisposeAsync();

    [Fact]
    public async Task A_writer_killed_mid_batch_and_restarted_applies_every_event_exactly_once()
    {
        var events = LockedEvents(200);
        using var first = WriterProcess.Start(_environment);
        await first.WaitUntilHealthyAsync();

        // Hold the audit table so the writer's batch transaction blocks half-way, then kill the writer there.
        await using (var blocker = await _environment.Database.OpenConnectionAsync())
        await using (var transaction = await blocker.BeginTransactionAsync())
        {
            await blocker.ExecuteAsync("LOCK TABLE LOCKOUT_EVENTS IN ACCESS EXCLUSIVE MODE", transaction: transaction);
            await _environment.ProduceEventsAsync(events);
            await Poll.UntilAsync(() => WriterIsBlockedAsync(), what: "the writer's batch to block on the table lock");

            first.Kill();
            await transaction.RollbackAsync();
        }

        Assert.Equal(0, await _environment.CountAuditRowsAsync());

        using var second = WriterProcess.Start(_environment);
        await second.WaitUntilHealthyAsync();
        await Poll.UntilAsync(_environment.CountAuditRowsAsync, count => count >= events.Count, TimeSpan.FromSeconds(90), "every event to be applied");

        await using var connection = await _environment.Database.OpenConnectionAsync();
        var recorded = (await connection.QueryAsync<string>("SELECT EVENT_ID FROM LOCKOUT_EVENTS")).ToList();
        Assert.Equal(events.Select(e => e.EventId.ToString()).Order(), recorded.Order());
    }

    [Fact]
    public async Task With_one_batch_at_a_time_the_events_of_every_partition_are_applied()
    {
        // 400 usernames spread over all the topic's partitions; each partition's batches wait for the one turn.
        var events = LockedEvents(400);
        await using var writer = new WriterHost(_environment, new Dictionary<string, string?> { ["Lockout:Writer:MaxConcurrentBatches"] = "1" }).Start();
        await _environment.ProduceEventsAsync(events);

        await Poll.UntilAsync(_environment.CountAuditRowsAsync, count => count >= events.Count, TimeSpan.FromSeconds(60), "every event to be applied");

        await using var connection = await _environment.Database.OpenConnectionAsync();
        var recorded = (await connection.QueryAsync<string>("SELECT EVENT_ID FROM LOCKOUT_EVENTS")).ToList();
        Assert.Equal(events.Select(e => e.EventId.ToString()).Order(), recorded.Order());
    }

    [Fact]
    public async Task A_redelivered_event_adds_no_second_audit_row_and_an_older_event_does_not_undo_a_newer_one()
    {
        var username = TestEnvironment.NewUsername("replay").ToUpperInvariant();
        await using (var connection = await _environment.Database.OpenConnectionAsync())
        {
            await connection.ExecuteAsync(
                "INSERT INTO USERS (USERNAME, NORMALIZED_USERNAME, PASSWORD_HASH, CREATED_AT) VALUES (@u, @u, 'x', CURRENT_TIMESTAMP)", new { u = username });
        }

        var locked = new LockoutEvent(Guid.CreateVersion7(), LockoutEventType.Locked, username, DateTimeOffset.UtcNow, 5, 100);
        var unlocked = new LockoutEvent(Guid.CreateVersion7(), LockoutEventType.Unlocked, username, DateTimeOffset.UtcNow, 0, 101);
        await using var writer = new WriterHost(_environment).Start();
        await _environment.ProduceEventsAsync([locked, unlocked]);
        await Poll.UntilAsync(async () => await _environment.LockStatusAsync(username) == "UNLOCKED", what: "the lock and the unlock to be applied");

        // As a relay retry could deliver it: the lock again, alone in its batch, so only the row's version can refuse it.
        // The sentinel, another account's event, is sent under the same key and so lands behind it on the same
        // partition: once the sentinel is recorded, the replayed lock has certainly been processed.
        var sentinel = LockedEvents(1)[0];
        await _environment.ProduceEventsAsync([locked]);
        var sentinelValue = LockoutEventSerializer.Serialize(sentinel);
        await _environment.ProduceAsync(LockoutTopics.Events, username, sentinelValue, _environment.SignedHeaders(username, sentinelValue));
        await Poll.UntilAsync(async () => (await _environment.AuditRowsAsync(sentinel.Username)).Count == 1, what: "the sentinel behind the replay");

        Assert.Equal(["LOCKED", "UNLOCKED"], (await _environment.AuditRowsAsync(username)).Select(row => row.EventType));
        Assert.Equal("UNLOCKED", await _environment.LockStatusAsync(username));
    }

    [Fact]
    public async Task An_unparseable_event_goes_to_the_dead_letter_topic_with_its_reason_and_the_partition_moves_on()
    {
        await using var writer = new WriterHost(_environment).Start();
        var after = LockedEvents(1)[0];
        // Same key, so the same partition: the valid event is behind the bad one. Signed, so that only its value is wrong.
        var bad = Encoding.UTF8.GetBytes("{\"this is\": \"not an event\"");
        await _environment.ProduceAsync(LockoutTopics.Events, after.Key, bad, _environment.SignedHeaders(after.Key, bad,
            new Headers { { "traceparent", Encoding.UTF8.GetBytes("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01") } }));
        await _environment.ProduceEventsAsync([after]);

        await Poll.UntilAsync(async () => (await _environment.AuditRowsAsync(after.Username)).Count == 1, what: "the event behind the bad one");
        var deadLetter = Assert.Single(_environment.ReadTopic(LockoutTopics.DeadLetter));

        Assert.Equal("{\"this is\": \"not an event\"", Encoding.UTF8.GetString(deadLetter.Message.Value!));
        Assert.Equal(after.Username, Encoding.UTF8.GetString(deadLetter.Message.Key!));
        Assert.StartsWith("The value is not a lockout event", Header(deadLetter, DeadLetterPublisher.ReasonHeader), StringComparison.Ordinal);
        Assert.Equal(LockoutTopics.Events, Header(deadLetter, DeadLetterPublisher.SourceTopicHeader));
        Assert.Equal("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", Header(deadLetter, "traceparent"));
    }

    [Fact]
    public async Task A_dead_letter_publish_the_broker_refuses_is_retried_until_it_lands_once()
    {
        var after = LockedEvents(1)[0];
        await _environment.ProduceAsync(LockoutTopics.Events, after.Key, Encoding.UTF8.GetBytes("not an event"), []);
        await _environment.ProduceEventsAsync([after]);
        // From here on the only producer is the writer's dead-letter publisher: its first three sends are refused
        // with an error librdkafka does not retry by itself.
        _environment.Kafka.FailNextRequests(KafkaApiKey.Produce, 3, ErrorCode.TopicAuthorizationFailed);

        await using var writer = new WriterHost(_environment).Start();

        await Poll.UntilAsync(async () => (await _environment.AuditRowsAsync(after.Username)).Count == 1, what: "the event behind the bad one");
        // The batch's good events are committed first; the dead letter follows once a send goes through.
        await Poll.UntilAsync(() => Task.FromResult(_environment.ReadTopic(LockoutTopics.DeadLetter).Count > 0), what: "the dead letter");
        var deadLetter = Assert.Single(_environment.ReadTopic(LockoutTopics.DeadLetter));
        Assert.Equal("not an event", Encoding.UTF8.GetString(deadLetter.Message.Value!));
        // The refusals were all spent on the writer's sends (a send now goes through at once), so the one
        // dead letter above came after three refused attempts.
        await _environment.ProduceAsync(LockoutTopics.DeadLetter, "probe", [1]);
    }

    private static string Header(ConsumeResult<byte[]?, byte[]?> message, string name) =>
        Encoding.UTF8.GetString(message.Message.Headers.GetLastBytes(name));

    private static List<LockoutEvent> LockedEvents(int count) => Enumerable.Range(0, count)
        .Select(_ => new LockoutEvent(Guid.CreateVersion7(), LockoutEventType.Locked, TestEnvironment.NewUsername("w").ToUpperInvariant(), DateTimeOffset.UtcNow, 5, 1))
        .ToList();

    private async Task<bool> WriterIsBlockedAsync()
    {
        await using var connection = await _environment.Database.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<bool>(
            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%LOCKOUT_EVENTS%')");
    }
}
