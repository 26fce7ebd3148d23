namespace Lockout.AppHost.Infrastructure;

/// <summary>How Redis, Kafka and PostgreSQL run; configuration <c>Infrastructure:Mode</c>.</summary>
public enum InfrastructureMode
{
    /// <summary>Containers when a container runtime answers, otherwise local processes.</summary>
    Auto,

    /// <summary>Redis, PostgreSQL and a Kafka broker in containers.</summary>
    Containers,

    /// <summary>
    /// Processes on this machine started by the AppHost: redis-server, a PostgreSQL server in a data folder the
    /// AppHost owns, and librdkafka's mock cluster as the Kafka broker.
    /// </summary>
    Local,
}

/// <summary>Neither way of running the infrastructure is possible here; the message says what to install.</summary>
public sealed class InfrastructureUnavailableException(string message) : Exception(message);
