namespace Lockout.KafkaMock;

/// <summary>The Kafka protocol's request kinds (its API keys) that tests make the mock refuse.</summary>
public enum KafkaApiKey : short
{
    Produce = 0,
}
