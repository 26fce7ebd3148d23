using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace Lockout.KafkaMock;

/// <summary>
/// A Kafka-protocol broker on loopback: librdkafka's built-in mock cluster.
/// </summary>
/// <remarks>
/// No Apache Kafka broker can be installed where Lockout runs in local mode, so this is the broker there
/// and in the tests. It speaks the real protocol over TCP (idempotent producers, consumer groups, offset
/// commits), keeps its log in memory, and can be switched down and up to simulate an outage.
/// Everything else in Lockout is broker-agnostic: only this class knows the broker is a mock.
/// </remarks>
public sealed class MockKafkaCluster : IDisposable
{
    /// <summary>All brokers, in the mock API's terms.</summary>
    private const int AllBrokers = -1;

    private static readonly ConcurrentDictionary<nint, Action<int, string, string>> LogSinks = new();

    private readonly Lock _gate = new();
    private nint _handle;
    private nint _cluster;

    private MockKafkaCluster(nint handle, nint cluster, int brokerCount)
    {
        _handle = handle;
        _cluster = cluster;
        BrokerCount = brokerCount;
        BootstrapServers = Marshal.PtrToStringUTF8(LibRdKafka.rd_kafka_mock_cluster_bootstraps(cluster))
            ?? throw new InvalidOperationException("The mock cluster reported no bootstrap servers.");
    }

    /// <summary>
    /// The <c>fetch.wait.max.ms</c> a consumer of this broker should use (the writer's, in local mode and the tests).
    /// </summary>
    /// <remarks>
    /// A real broker holds a fetch that finds nothing until a message arrives (or the wait ends), so a consumer's
    /// wait costs no latency there and librdkafka's default (500 ms) is right. The mock answers an empty fetch only
    /// when the wait has passed and does not cut it short for a new message: every lock event can wait this long
    /// before the writer fetches it, and under load most do (the relay produces in bursts). The trade-off, measured
    /// (bench/README.md, "Resident memory, threads and idle CPU"): an idle writer's fetches cost 1.4% of a core at
    /// 10 ms, 0.4% at 50 ms, 0.2% at 100 ms; at 100 ms the steady scenario's lock latency was p50 108 ms. At 50 ms an
    /// idle writer measured 0.97% (30 minutes) and 1.10% (5 minutes) of a core in all: 100 ms keeps it under 1% at a
    /// cost of at most 100 ms per lock event on the mock, before its row is written (the login's answer is not delayed).
    /// </remarks>
    public const int ConsumerFetchWaitMaxMs = 100;

    /// <summary>The <c>host:port</c> list clients connect to.</summary>
    public string BootstrapServers { get; }

    public int BrokerCount { get; }

    /// <summary>True while <see cref="SetBrokersDown"/> is in effect.</summary>
    public bool IsDown { get; private set; }

    /// <summary>
    /// Starts a mock cluster listening on ephemeral loopback ports.
    /// </summary>
    /// <param name="brokerCount">How many brokers the cluster has.</param>
    /// <param name="log">Receives the cluster's log lines (syslog level, facility, message); called on librdkafka's threads.</param>
    public static MockKafkaCluster Start(int brokerCount = 1, Action<int, string, string>? log = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokerCount, 1);
        LibRdKafka.EnsureResolver();

        var conf = LibRdKafka.rd_kafka_conf_new();
        SetConf(conf, "log_level", "6");
        unsafe
        {
            LibRdKafka.rd_kafka_conf_set_log_cb(conf, &OnLog);
        }

        var errorBuffer = new byte[512];
        // The mock cluster needs an rd_kafka_t to live on; an idle producer handle is enough.
        var handle = LibRdKafka.rd_kafka_new(0, conf, errorBuffer, (nuint)errorBuffer.Length);
        if (handle == 0)
        {
            throw new InvalidOperationException($"librdkafka could not create a handle for the mock cluster: {ReadError(errorBuffer)}");
        }

        if (log is not null)
        {
            LogSinks[handle] = log;
        }

        var cluster = LibRdKafka.rd_kafka_mock_cluster_new(handle, brokerCount);
        if (cluster == 0)
        {
            LogSinks.TryRemove(handle, out _);
            LibRdKafka.rd_kafka_destroy(handle);
            throw new InvalidOperationException("librdkafka could not start a mock cluster (see its log for the reason).");
        }

        // The mock imitates Kafka's 3 s group.initial.rebalance.delay.ms; a local broker has no reason to wait.
        LibRdKafka.rd_kafka_mock_group_initial_rebalance_delay_ms(cluster, 0);
        return new MockKafkaCluster(handle, cluster, brokerCount);
    }

    /// <summary>Creates a topic; the mock does not serve the CreateTopics admin API.</summary>
    public void CreateTopic(string name, int partitions, int replicationFactor = 1)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        lock (_gate)
        {
            var error = LibRdKafka.rd_kafka_mock_topic_create(Cluster, name, partitions, Math.Min(replicationFactor, BrokerCount));
            ThrowOnError(error, $"create topic '{name}'");
        }
    }

    /// <summary>Starts an outage: every broker drops its connections and refuses new ones.</summary>
    public void SetBrokersDown()
    {
        lock (_gate)
        {
            ThrowOnError(LibRdKafka.rd_kafka_mock_broker_set_down(Cluster, AllBrokers), "set the brokers down");
            IsDown = true;
        }
    }

    /// <summary>Ends an outage started by <see cref="SetBrokersDown"/>; the brokers listen on the same ports again.</summary>
    public void SetBrokersUp()
    {
        lock (_gate)
        {
            ThrowOnError(LibRdKafka.rd_kafka_mock_broker_set_up(Cluster, AllBrokers), "set the brokers up");
            IsDown = false;
        }
    }

    /// <summary>
    /// Makes the next <paramref name="count"/> requests of one Kafka API (whoever sends them) fail with
    /// <paramref name="error"/>: a broker refusing, without an outage.
    /// </summary>
    public unsafe void FailNextRequests(KafkaApiKey api, int count, ErrorCode error)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var errors = Enumerable.Repeat((int)error, count).ToArray();
        lock (_gate)
        {
            fixed (int* first = errors)
            {
                LibRdKafka.rd_kafka_mock_push_request_errors_array(Cluster, (short)api, (nuint)count, first);
            }
        }
    }

    /// <summary>
    /// Makes every broker advertise <paramref name="host"/>:<paramref name="port"/> in metadata while it keeps
    /// listening where it did: a broker whose advertised listener is wrong, as a misconfigured Kafka's can be.
    /// </summary>
    public void AdvertiseBrokersAt(string host, int port)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        lock (_gate)
        {
            for (var brokerId = 1; brokerId <= BrokerCount; brokerId++)
            {
                ThrowOnError(LibRdKafka.rd_kafka_mock_broker_set_host_port(Cluster, brokerId, host, port), $"advertise broker {brokerId} at {host}:{port}");
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_handle == 0)
            {
                return;
            }

            LibRdKafka.rd_kafka_mock_cluster_destroy(_cluster);
            LibRdKafka.rd_kafka_destroy(_handle);
            LogSinks.TryRemove(_handle, out _);
            _cluster = 0;
            _handle = 0;
        }
    }

    private nint Cluster => _cluster != 0 ? _cluster : throw new ObjectDisposedException(nameof(MockKafkaCluster));

    private static void SetConf(nint conf, string name, string value)
    {
        var errorBuffer = new byte[512];
        if (LibRdKafka.rd_kafka_conf_set(conf, name, value, errorBuffer, (nuint)errorBuffer.Length) != 0)
        {
            throw new InvalidOperationException($"librdkafka rejected {name}={value}: {ReadError(errorBuffer)}");
        }
    }

    private static void ThrowOnError(int error, string action)
    {
        if (error != 0)
        {
            var text = Marshal.PtrToStringUTF8(LibRdKafka.rd_kafka_err2str(error));
            throw new InvalidOperationException($"The mock cluster could not {action}: {text}");
        }
    }

    private static string ReadError(byte[] buffer)
    {
        var length = Array.IndexOf(buffer, (byte)0);
        return System.Text.Encoding.UTF8.GetString(buffer, 0, length < 0 ? buffer.Length : length);
    }

    [UnmanagedCallersOnly]
    private static unsafe void OnLog(nint handle, int level, byte* facility, byte* message)
    {
        if (LogSinks.TryGetValue(handle, out var sink))
        {
            sink(level, Marshal.PtrToStringUTF8((nint)facility) ?? "", Marshal.PtrToStringUTF8((nint)message) ?? "");
        }
    }
}
