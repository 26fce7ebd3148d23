using Confluent.Kafka;

namespace Lockout.Kafka;

/// <summary>
/// Producer settings, bound from <c>Aspire:Confluent:Kafka:Producer</c> then <c>…:{connectionName}</c>,
/// as Aspire.Confluent.Kafka binds them, so the real package can replace this one without a config change.
/// </summary>
public sealed class KafkaProducerSettings
{
    /// <summary>The bootstrap servers (<c>ConnectionStrings:{connectionName}</c>).</summary>
    public string? ConnectionString { get; set; }

    public ProducerConfig Config { get; } = new();

    public bool DisableHealthChecks { get; set; }

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Config.BootstrapServers))
        {
            throw new InvalidOperationException("No Kafka bootstrap servers configured: set ConnectionStrings:<name> or Aspire:Confluent:Kafka:Producer:Config:BootstrapServers.");
        }
    }
}
