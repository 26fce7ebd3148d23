using System.Collections.Immutable;
using Lockout.KafkaMock;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lockout.AppHost.Infrastructure.Local;

/// <summary>Adds a <see cref="KafkaMockClusterResource"/>: local mode's Kafka-protocol broker.</summary>
public static partial class KafkaMockClusterBuilderExtensions
{
    /// <summary>
    /// A Kafka-protocol broker inside the AppHost (librdkafka's mock cluster), with the topics declared on it
    /// (<see cref="KafkaTopicAnnotation"/>) created,
    /// and dashboard commands to start and end a broker outage.
    /// </summary>
    public static IResourceBuilder<KafkaMockClusterResource> AddKafkaMockCluster(this IDistributedApplicationBuilder builder, [ResourceName] string name)
    {
        var kafka = new KafkaMockClusterResource(name);

        builder.Eventing.Subscribe<InitializeResourceEvent>(kafka, async (@event, cancellationToken) =>
        {
            var logger = @event.Logger;
            var cluster = MockKafkaCluster.Start(brokerCount: 1, log: (level, facility, message) =>
            {
                var logLevel = SyslogToLogLevel(level);
                LogBroker(logger, logLevel, facility, message);
            });
            // The mock does not serve the admin API's CreateTopics, so the declared topics are made through its own API.
            foreach (var (topic, partitions) in kafka.DeclaredTopics())
            {
                cluster.CreateTopic(topic, partitions);
            }

            @event.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopped.Register(cluster.Dispose);
            kafka.Started(cluster);
            var bootstrapServers = cluster.BootstrapServers;
            var topics = string.Join(", ", kafka.DeclaredTopics().Select(topic => $"{topic.Name} ({topic.Partitions} partitions)"));
            LogStarted(logger, bootstrapServers, topics);

            await @event.Eventing.PublishAsync(new ConnectionStringAvailableEvent(kafka, @event.Services), cancellationToken);
            await @event.Eventing.PublishAsync(new BeforeResourceStartedEvent(kafka, @event.Services), cancellationToken);
            await @event.Notifications.PublishUpdateAsync(kafka, snapshot => snapshot with
            {
                State = KnownResourceStates.Running,
                StartTimeStamp = DateTime.UtcNow,
                Properties = WithProperty(WithProperty(snapshot.Properties, "kafka.bootstrap-servers", cluster.BootstrapServers), "kafka.outage", false),
            });
        });

        return builder.AddResource(kafka)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "KafkaMockCluster",
                State = KnownResourceStates.Starting,
                Properties = [],
            })
            .WithIconName("ArrowSwap")
            .WithKafkaBrokerHealthCheck()
            .WithCommand(
                "start-broker-outage",
                "Start broker outage",
                context => SetOutageAsync(kafka, down: true, context),
                new CommandOptions
                {
                    Description = "Switches the broker down: connections drop and new ones are refused, as in a Kafka outage.",
                    IconName = "PlugDisconnected",
                    UpdateState = context => IsRunning(context) && kafka.Cluster is { IsDown: false } ? ResourceCommandState.Enabled : ResourceCommandState.Disabled,
                })
            .WithCommand(
                "end-broker-outage",
                "End broker outage",
                context => SetOutageAsync(kafka, down: false, context),
                new CommandOptions
                {
                    Description = "Switches the broker up again on the same port.",
                    IconName = "PlugConnected",
                    UpdateState = context => IsRunning(context) && kafka.Cluster is { IsDown: true } ? ResourceCommandState.Enabled : ResourceCommandState.Disabled,
                });
    }

    private static async Task<ExecuteCommandResult> SetOutageAsync(KafkaMockClusterResource kafka, bool down, ExecuteCommandContext context)
    {
        if (kafka.Cluster is not { } cluster)
        {
            return CommandResults.Failure("The broker has not started.");
        }

        if (down)
        {
            cluster.SetBrokersDown();
        }
        else
        {
            cluster.SetBrokersUp();
        }

        LogOutage(context.Logger, down);
        await context.Services.GetRequiredService<ResourceNotificationService>().PublishUpdateAsync(kafka, snapshot => snapshot with
        {
            Properties = WithProperty(snapshot.Properties, "kafka.outage", down),
        });
        return CommandResults.Success();
    }

    private static bool IsRunning(UpdateCommandStateContext context) =>
        context.ResourceSnapshot.State?.Text == KnownResourceStates.Running;

    private static ImmutableArray<ResourcePropertySnapshot> WithProperty(ImmutableArray<ResourcePropertySnapshot> properties, string name, object value) =>
        [.. properties.Where(property => property.Name != name), new ResourcePropertySnapshot(name, value)];

    private static LogLevel SyslogToLogLevel(int level) => level switch
    {
        <= 3 => LogLevel.Error,
        4 => LogLevel.Warning,
        5 or 6 => LogLevel.Information,
        _ => LogLevel.Debug,
    };

    [LoggerMessage(Message = "{Facility}: {Text}")]
    private static partial void LogBroker(ILogger logger, LogLevel level, string facility, string text);

    [LoggerMessage(Level = LogLevel.Information, Message = "Mock Kafka cluster listening on {BootstrapServers}; topics: {Topics}.")]
    private static partial void LogStarted(ILogger logger, string bootstrapServers, string topics);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Broker outage: {Down}.")]
    private static partial void LogOutage(ILogger logger, bool down);
}
