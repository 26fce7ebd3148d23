using System.Globalization;
using Confluent.Kafka;
using Dapper;
using Lockout.Api.Redis;
using Lockout.Database;
using Lockout.Events;
using Lockout.KafkaMock;
using Npgsql;
using StackExchange.Redis;

namespace Lockout.Tests.Infrastructure;

/// <summary>
/// An isolated slice of real infrastructure for one test class: a Redis database, a migrated PostgreSQL
/// database and its own Kafka-protocol broker (librdkafka's mock cluster, over TCP).
/// </summary>
public sealed class TestEnvironment : IAsyncDisposable
{
    private readonly string _serverConnectionString;
    private readonly string _databaseName;

    private TestEnvironment(string redis, RedisLogins redisLogins, string database, DatabaseLogins logins, string server, string databaseName, MockKafkaCluster kafka, ConnectionMultiplexer multiplexer)
    {
        RedisConnectionString = redis;
        RedisLogins = redisLogins;
        DatabaseConnectionString = database;
        DatabaseLogins = logins;
        _serverConnectionString = server;
        _databaseName = databaseName;
        Kafka = kafka;
        Redis = multiplexer;
        Database = NpgsqlDataSource.Create(database);
    }

    /// <summary>Redis's default user on this environment's database: the tests' own, to set up and inspect.</summary>
    public string RedisConnectionString { get; }

    /// <summary>The API's and the relay's Redis users on this environment's database: the API connects with these.</summary>
    public RedisLogins RedisLogins { get; }

    /// <summary>The administrator's connection to this environment's database: the tests' own, to set up and inspect.</summary>
    public string DatabaseConnectionString { get; }

    /// <summary>The roles' logins to this environment's database: the services connect with these.</summary>
    public DatabaseLogins DatabaseLogins { get; }

    public MockKafkaCluster Kafka { get; }

    public IConnectionMultiplexer Redis { get; }

    public NpgsqlDataSource Database { get; }

    public string AdminApiKey { get; } = $"test-admin-key-{Guid.NewGuid():N}";

    /// <summary>The key the API's relay signs lock events with and the writer checks them against.</summary>
    public string EventSigningKey { get; } = $"test-event-signing-key-{Guid.NewGuid():N}";

    /// <summary>Signs as the relay does.</summary>
    public EventSigner Signer => new(EventSigningKey);

    internal static async Task<TestEnvironment> CreateAsync(string redis, RedisLogins redisLogins, string database, DatabaseLogins logins, string server, string databaseName, int kafkaPartitions)
    {
        var kafka = MockKafkaCluster.Start();
        kafka.CreateTopic(LockoutTopics.Events, kafkaPartitions);
        kafka.CreateTopic(LockoutTopics.DeadLetter, 1);

        var multiplexer = await ConnectionMultiplexer.ConnectAsync(redis);
        var options = ConfigurationOptions.Parse(redis);
        await multiplexer.GetServers()[0].FlushDatabaseAsync(options.DefaultDatabase ?? 0);
        return new TestEnvironment(redis, redisLogins, database, logins, server, databaseName, kafka, multiplexer);
    }

    /// <summary>Configuration Lockout.Api needs to run against this environment, as the AppHost gives it.</summary>
    public Dictionary<string, string?> ApiSettings() => new()
    {
        ["ConnectionStrings:redis"] = RedisLogins.Api,
        ["ConnectionStrings:redis-relay"] = RedisLogins.Relay,
        ["ConnectionStrings:kafka"] = Kafka.BootstrapServers,
        ["ConnectionStrings:lockoutdb"] = DatabaseLogins.Api,
        ["Lockout:AdminApiKey"] = AdminApiKey,
        ["Lockout:Events:SigningKey"] = EventSigningKey,
        // Production gives up on a Redis that has answered nothing for a second. When a test run starts, every class
        // starts its hosts at once on two cores, and a host's thread pool can then be starved for over a second, its
        // Redis answers unread (a 503 where a test counted a 401). These tests are about what the API decides, so
        // they give Redis 5 s; RedisFaultTests, which are about the quick 503, run with production's second.
        ["Lockout:Redis:SilenceLimit"] = "00:00:05",
        ["Logging:LogLevel:Default"] = "Warning",
        ["Logging:LogLevel:Lockout"] = "Information",
    };

    /// <summary>Configuration Lockout.Writer needs to run against this environment, as the AppHost gives it.</summary>
    public Dictionary<string, string?> WriterSettings() => new()
    {
        ["ConnectionStrings:kafka"] = Kafka.BootstrapServers,
        // As local mode's AppHost sets it for this broker.
        ["Aspire:Confluent:Kafka:Consumer:Config:FetchWaitMaxMs"] = MockKafkaCluster.ConsumerFetchWaitMaxMs.ToString(CultureInfo.InvariantCulture),
        ["ConnectionStrings:lockoutdb"] = DatabaseLogins.Writer,
        ["Lockout:Events:SigningKey"] = EventSigningKey,
        ["Logging:LogLevel:Default"] = "Warning",
        ["Logging:LogLevel:Lockout"] = "Information",
    };

    public static string NewUsername(string prefix = "user") => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 64)];

    public async Task<string?> LockStatusAsync(string username)
    {
        await using var connection = await Database.OpenConnectionAsync();
        return await connection.QuerySingleOrDefaultAsync<string>(
            "SELECT LOCK_STATUS FROM USERS WHERE NORMALIZED_USERNAME = @u", new { u = username.ToUpperInvariant() });
    }

    public async Task<IReadOnlyList<AuditRow>> AuditRowsAsync(string? username)
    {
        ArgumentNullException.ThrowIfNull(username);
        await using var connection = await Database.OpenConnectionAsync();
        var rows = await connection.QueryAsync<AuditRow>(
            "SELECT EVENT_ID AS EventId, EVENT_TYPE AS EventType, ATTEMPTS AS Attempts, TRACE_ID AS TraceId FROM LOCKOUT_EVENTS WHERE USERNAME = @u ORDER BY OCCURRED_AT",
            new { u = username.ToUpperInvariant() });
        return rows.AsList();
    }

    public async Task<long> CountAuditRowsAsync()
    {
        await using var connection = await Database.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM LOCKOUT_EVENTS");
    }

    /// <summary>Redis forgets everything this environment stored, as a restart without persistence would.</summary>
    public Task FlushRedisAsync() =>
        Redis.GetServers()[0].FlushDatabaseAsync(ConfigurationOptions.Parse(RedisConnectionString).DefaultDatabase ?? 0);

    /// <summary>Entries in the Redis outbox not yet acknowledged by Kafka.</summary>
    public async Task<long> OutboxDepthAsync()
    {
        var database = Redis.GetDatabase(ConfigurationOptions.Parse(RedisConnectionString).DefaultDatabase ?? 0);
        var lengths = await Task.WhenAll(Enumerable.Range(0, new LockoutRedisOptions().Buckets).Select(bucket => database.StreamLengthAsync(LockoutKeyspace.Outbox(bucket))));
        return lengths.Sum();
    }

    /// <summary>Every message on a topic, read from the beginning until the end of each partition.</summary>
    public IReadOnlyList<ConsumeResult<byte[]?, byte[]?>> ReadTopic(string topic)
    {
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(new ConsumerConfig
        {
            BootstrapServers = Kafka.BootstrapServers,
            GroupId = $"test-reader-{Guid.NewGuid():N}",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
            EnablePartitionEof = true,
        }).Build();

        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = Kafka.BootstrapServers }).Build();
        var partitions = admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics.Single().Partitions
            .Select(p => new TopicPartitionOffset(topic, p.PartitionId, Offset.Beginning)).ToList();
        consumer.Assign(partitions);

        var messages = new List<ConsumeResult<byte[]?, byte[]?>>();
        var remaining = partitions.Count;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (remaining > 0 && DateTime.UtcNow < deadline)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is null)
            {
                continue;
            }

            if (result.IsPartitionEOF)
            {
                remaining--;
            }
            else
            {
                messages.Add(result);
            }
        }

        return remaining == 0 ? messages : throw new TimeoutException($"Could not read topic {topic} to its end.");
    }

    /// <summary>
    /// Sends a message to the environment's broker as a stranger would: signed only if <paramref name="headers"/> say so
    /// (see <see cref="SignedHeaders"/>).
    /// </summary>
    public Task ProduceAsync(string topic, string key, byte[] value, Headers? headers = null) =>
        ProduceAsync(topic, [(key, value, headers)]);

    public async Task ProduceAsync(string topic, IEnumerable<(string Key, byte[] Value, Headers? Headers)> messages)
    {
        using var producer = new ProducerBuilder<byte[]?, byte[]?>(new ProducerConfig { BootstrapServers = Kafka.BootstrapServers, EnableIdempotence = true }).Build();
        await Task.WhenAll(messages.Select(message => producer.ProduceAsync(topic, new Message<byte[]?, byte[]?>
        {
            Key = System.Text.Encoding.UTF8.GetBytes(message.Key),
            Value = message.Value,
            Headers = message.Headers ?? [],
        })));
    }

    /// <summary>Headers carrying the signature of <paramref name="key"/> and <paramref name="value"/>, as the relay sends them.</summary>
    public Headers SignedHeaders(string key, byte[] value, Headers? headers = null)
    {
        var signed = new Headers();
        foreach (var header in headers ?? [])
        {
            signed.Add(header.Key, header.GetValueBytes());
        }

        signed.Add(EventSigner.Header, Signer.Sign(key, value));
        return signed;
    }

    /// <summary>Sends events as the outbox relay does: signed with the environment's key.</summary>
    public Task ProduceEventsAsync(IEnumerable<LockoutEvent> events) =>
        ProduceAsync(LockoutTopics.Events, events.Select(e =>
        {
            var value = LockoutEventSerializer.Serialize(e);
            return (e.Key, value, (Headers?)SignedHeaders(e.Key, value));
        }));

    /// <summary>Sends events, signed, to one partition of the events topic, whatever their keys.</summary>
    public async Task ProduceEventsToPartitionAsync(int partition, IEnumerable<LockoutEvent> events)
    {
        using var producer = new ProducerBuilder<byte[]?, byte[]?>(new ProducerConfig { BootstrapServers = Kafka.BootstrapServers, EnableIdempotence = true }).Build();
        foreach (var lockoutEvent in events)
        {
            var value = LockoutEventSerializer.Serialize(lockoutEvent);
            await producer.ProduceAsync(new TopicPartition(LockoutTopics.Events, partition), new Message<byte[]?, byte[]?>
            {
                Key = System.Text.Encoding.UTF8.GetBytes(lockoutEvent.Key),
                Value = value,
                Headers = SignedHeaders(lockoutEvent.Key, value),
            });
        }
    }

    /// <summary>This environment's Redis database, as the API sees it.</summary>
    public IDatabase RedisDatabase => Redis.GetDatabase(ConfigurationOptions.Parse(RedisConnectionString).DefaultDatabase ?? 0);

    /// <summary>
    /// Makes this environment's database refuse connections and drops the ones it has: a database outage as
    /// its clients see it, without stopping the server other test classes share.
    /// </summary>
    public async Task TakeDatabaseDownAsync()
    {
        await using (var connection = new NpgsqlConnection(_serverConnectionString))
        {
            await connection.OpenAsync();
            await connection.ExecuteAsync($"ALTER DATABASE {_databaseName} ALLOW_CONNECTIONS false");
        }

        await TerminateDatabaseConnectionsAsync();
    }

    /// <summary>Closes every server connection to this database, as a database restart or failover does.</summary>
    public async Task TerminateDatabaseConnectionsAsync()
    {
        await using var connection = new NpgsqlConnection(_serverConnectionString);
        await connection.OpenAsync();
        await connection.ExecuteAsync("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = @name", new { name = _databaseName });
        Database.Clear();
    }

    public async Task BringDatabaseUpAsync()
    {
        await using var connection = new NpgsqlConnection(_serverConnectionString);
        await connection.OpenAsync();
        await connection.ExecuteAsync($"ALTER DATABASE {_databaseName} ALLOW_CONNECTIONS true");
        Database.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        await Database.DisposeAsync();
        await Redis.DisposeAsync();
        Kafka.Dispose();
    }
}

/// <summary>The Redis connection strings of the API's logins and of its outbox relay.</summary>
public sealed record RedisLogins(string Api, string Relay);

public sealed record AuditRow(string EventId, string EventType, int Attempts, string? TraceId);
