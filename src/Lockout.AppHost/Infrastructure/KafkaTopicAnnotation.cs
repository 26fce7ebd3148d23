using Lockout.Events;

namespace Lockout.AppHost.Infrastructure;

/// <summary>
/// A topic a Kafka resource creates when its broker starts, whichever broker that is (the mock cluster in local
/// mode, a Kafka container otherwise): one declaration, so both modes give the services the same topics.
/// </summary>
public sealed record KafkaTopicAnnotation(string Name, int Partitions) : IResourceAnnotation;

public static class KafkaTopicExtensions
{
    /// <summary>Declares Lockout's topics (<see cref="LockoutTopics.Layout"/>) on a Kafka resource.</summary>
    public static IResourceBuilder<T> WithLockoutTopics<T>(this IResourceBuilder<T> kafka) where T : IResource
    {
        foreach (var (name, partitions) in LockoutTopics.Layout)
        {
            kafka.WithAnnotation(new KafkaTopicAnnotation(name, partitions));
        }

        return kafka;
    }

    /// <summary>The topics declared on a Kafka resource, with their partition counts.</summary>
    public static IReadOnlyList<(string Name, int Partitions)> DeclaredTopics(this IResource kafka) =>
        [.. kafka.Annotations.OfType<KafkaTopicAnnotation>().Select(topic => (topic.Name, topic.Partitions))];
}
