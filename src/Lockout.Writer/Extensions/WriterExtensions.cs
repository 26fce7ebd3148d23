using Confluent.Kafka;
using Lockout.Events;
using Lockout.Kafka;
using Lockout.Writer.Services;
using Lockout.Writer.Telemetry;
using Microsoft.Extensions.Options;

namespace Lockout.Writer.Extensions;

public static class WriterExtensions
{
    /// <summary>Connection names, as the AppHost declares the resources.</summary>
    public const string DatabaseConnection = "lockoutdb";
    public const string KafkaConnection = "kafka";

    public static IHostApplicationBuilder AddLockoutWriter(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource(DatabaseConnection);

        builder.Services.AddOptions<LockoutWriterOptions>()
            .BindConfiguration(LockoutWriterOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<EventSigningOptions>()
            .BindConfiguration(EventSigningOptions.SectionName)
            .Validate(options => EventSigningOptions.Problem(options.SigningKey) is null, EventSigningOptions.Requirement)
            .ValidateOnStart();
        var options = builder.Configuration.GetSection(LockoutWriterOptions.SectionName).Get<LockoutWriterOptions>() ?? new LockoutWriterOptions();

        builder.AddKafkaConsumer<byte[]?, byte[]?>(KafkaConnection,
            settings =>
            {
                settings.Config.GroupId = options.GroupId;
                // Offsets are committed by hand, after the database commit.
                settings.Config.EnableAutoCommit = false;
                settings.Config.EnableAutoOffsetStore = false;
                settings.Config.AutoOffsetReset = AutoOffsetReset.Earliest;
                // On a broker that creates topics on first use, subscribing must not wait for the first lock.
                settings.Config.AllowAutoCreateTopics ??= true;
                settings.Config.StatisticsIntervalMs ??= 5000;
                // FetchWaitMaxMs stays librdkafka's (500 ms): a real broker answers a waiting fetch as soon as a
                // message arrives, so the wait costs no latency, and an idle writer fetches twice a second. Local mode's
                // mock broker does not, and the AppHost sets a shorter wait for it (MockKafkaCluster.ConsumerFetchWaitMaxMs).
                // A writer that died is replaced within this time instead of Kafka's default 45 s.
                settings.Config.SessionTimeoutMs ??= 10_000;
            },
            (services, consumer) =>
            {
                var metrics = services.GetRequiredService<LockoutWriterMetrics>();
                consumer.SetStatisticsHandler((_, json) =>
                {
                    if (KafkaStatistics.ReadConsumerLag(json, LockoutTopics.Events) is { } lag)
                    {
                        metrics.ConsumerLagObserved(lag);
                    }
                });
                services.GetRequiredService<RebalanceListener>().Attach(consumer);
            });

        builder.AddKafkaProducer<byte[]?, byte[]?>(KafkaConnection, settings =>
        {
            settings.Config.EnableIdempotence = true;
            settings.Config.Acks = Acks.All;
            // The producer only serves the dead-letter topic; the consumer's check already watches the broker.
            settings.DisableHealthChecks = true;
        });

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<LockoutWriterMetrics>();
        builder.Services.AddSingleton<LockoutEventWriter>();
        builder.Services.AddSingleton<DeadLetterPublisher>();
        builder.Services.AddSingleton(services => new EventSigner(services.GetRequiredService<IOptions<EventSigningOptions>>().Value.SigningKey!));
        builder.Services.AddSingleton<IncomingEventCheck>();
        builder.Services.AddSingleton<RebalanceListener>();

        builder.Services.AddSingleton<DatabaseSchema>();
        builder.Services.AddHostedService(services => services.GetRequiredService<DatabaseSchema>());
        builder.Services.AddHealthChecks().AddCheck<DatabaseSchema>("database-schema");

        builder.Services.AddHostedService<LockoutEventConsumer>();
        builder.Services.AddHostedService<AuditRetention>();

        return builder;
    }
}
