using Confluent.Kafka;

namespace Lockout.Kafka;

/// <summary>
/// Consumer settings, bound from <c>Aspire:Confluent:Kafka:Consumer</c> then <c>…:{connectionName}</c>.
/// </summary>
public sealed class KafkaConsumerSettings
{
    /// <summary>The bootstrap servers (<c>ConnectionStrings:{connectionName}</c>).</summary>
    public string? ConnectionString { get; set; }

    public ConsumerConfig Config { get; } = new();

    public bool DisableHealthChecks { get; set; }

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Config.BootstrapServers))
        {
            throw new InvalidOperationException("No Kafka bootstrap servers configured: set ConnectionStrings:<name> or Aspire:Confluent:Kafka:Consumer:Config:BootstrapServers.");
        }

        if (string.IsNullOrWhiteSpace(Config.GroupId))
        {
            throw new InvalidOperationException("A Kafka consumer needs a group id: set Aspire:Confluent:Kafka:Consumer:Config:GroupId.");
        }
    }
}
