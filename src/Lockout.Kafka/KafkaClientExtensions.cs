using Confluent.Kafka;
using Lockout.Kafka;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Registers Kafka clients the way Aspire.Confluent.Kafka does (that package is not served to us):
/// settings from configuration, the connection string as bootstrap servers, librdkafka's log in
/// <see cref="ILogger"/>, and a broker health check.
/// </summary>
public static partial class KafkaClientExtensions
{
    private const string ProducerSection = "Aspire:Confluent:Kafka:Producer";
    private const string ConsumerSection = "Aspire:Confluent:Kafka:Consumer";
    private const string LogCategory = "Lockout.Kafka";

    /// <summary>Registers a singleton <see cref="IProducer{TKey,TValue}"/> for the named connection.</summary>
    public static IHostApplicationBuilder AddKafkaProducer<TKey, TValue>(
        this IHostApplicationBuilder builder,
        string connectionName,
        Action<KafkaProducerSettings>? configureSettings = null,
        Action<IServiceProvider, ProducerBuilder<TKey, TValue>>? configureBuilder = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(connectionName);

        var settings = new KafkaProducerSettings();
        Bind(builder.Configuration, ProducerSection, connectionName, settings, settings.Config);
        settings.ConnectionString = builder.Configuration.GetConnectionString(connectionName) ?? settings.ConnectionString;
        configureSettings?.Invoke(settings);
        ApplyDefaults(settings.Config, settings.ConnectionString);
        // Checked while the host is built: a missing setting stops start-up instead of the first use of the client.
        settings.Validate();

        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton<IProducer<TKey, TValue>>(services =>
        {
            var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(LogCategory);
            var producerBuilder = new ProducerBuilder<TKey, TValue>(settings.Config)
                .SetLogHandler((_, message) => Forward(logger, message));
            configureBuilder?.Invoke(services, producerBuilder);
            return producerBuilder.Build();
        });

        if (!settings.DisableHealthChecks)
        {
            AddBrokerHealthCheck(builder, $"kafka-producer-{connectionName}", settings.Config.BootstrapServers);
        }

        return builder;
    }

    /// <summary>Registers a singleton <see cref="IConsumer{TKey,TValue}"/> for the named connection.</summary>
    public static IHostApplicationBuilder AddKafkaConsumer<TKey, TValue>(
        this IHostApplicationBuilder builder,
        string connectionName,
        Action<KafkaConsumerSettings>? configureSettings = null,
        Action<IServiceProvider, ConsumerBuilder<TKey, TValue>>? configureBuilder = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(connectionName);

        var settings = new KafkaConsumerSettings();
        Bind(builder.Configuration, ConsumerSection, connectionName, settings, settings.Config);
        settings.ConnectionString = builder.Configuration.GetConnectionString(connectionName) ?? settings.ConnectionString;
        configureSettings?.Invoke(settings);
        ApplyDefaults(settings.Config, settings.ConnectionString);
        // Checked while the host is built: a missing setting stops start-up instead of the first use of the client.
        settings.Validate();

        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton<IConsumer<TKey, TValue>>(services =>
        {
            var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(LogCategory);
            var consumerBuilder = new ConsumerBuilder<TKey, TValue>(settings.Config)
                .SetLogHandler((_, message) => Forward(logger, message));
            configureBuilder?.Invoke(services, consumerBuilder);
            return consumerBuilder.Build();
        });

        if (!settings.DisableHealthChecks)
        {
            AddBrokerHealthCheck(builder, $"kafka-consumer-{connectionName}", settings.Config.BootstrapServers);
        }

        return builder;
    }

    private static void ApplyDefaults(ClientConfig config, string? connectionString)
    {
        if (connectionString is not null)
        {
            config.BootstrapServers = connectionString;
        }

        // A broker that stops answering without closing its connections (a network partition; the mock cluster's
        // outage) holds requests in flight until this timeout, 60 s by default, before librdkafka reconnects: with
        // 10 s the outbox relay and the writer resume seconds after the broker is back, not a minute later.
        config.SocketTimeoutMs ??= 10_000;
    }

    private static void Bind(IConfiguration configuration, string sectionName, string connectionName, object settings, ClientConfig config)
    {
        var section = configuration.GetSection(sectionName);
        var named = section.GetSection(connectionName);
        section.Bind(settings);
        named.Bind(settings);
        // Config has no setter, and the binder does not fill a get-only dictionary-backed type; bind it by hand.
        section.GetSection("Config").Bind(config);
        named.GetSection("Config").Bind(config);
    }

    private static void AddBrokerHealthCheck(IHostApplicationBuilder builder, string name, string? bootstrapServers)
    {
        if (string.IsNullOrWhiteSpace(bootstrapServers))
        {
            return;
        }

        // One check (and one admin client) for the life of the host, disposed with it. A registration whose factory
        // built a new check for every health run leaked an admin client, five threads, per /health call.
        builder.Services.AddKeyedSingleton(name, (_, _) => new KafkaBrokerHealthCheck(bootstrapServers));

        // Degraded, not Unhealthy: Lockout is built to ride out a broker outage (the outbox holds lock events,
        // the writer waits), so an outage must not take the service out of rotation.
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            name,
            services => services.GetRequiredKeyedService<KafkaBrokerHealthCheck>(name),
            HealthStatus.Degraded,
            ["kafka"]));
    }

    private static void Forward(ILogger logger, LogMessage message)
    {
        var level = (LogLevel)message.LevelAs(LogLevelType.MicrosoftExtensionsLogging);
        LogLibrdkafka(logger, level, message.Facility, message.Name, message.Message);
    }

    [LoggerMessage(Message = "librdkafka {Facility} {ClientName}: {Text}")]
    private static partial void LogLibrdkafka(ILogger logger, LogLevel level, string facility, string clientName, string text);
}
