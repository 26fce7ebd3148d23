using System.Reflection;
using System.Runtime.InteropServices;

namespace Lockout.KafkaMock;

/// <summary>
/// The few librdkafka functions the mock cluster needs. Confluent.Kafka does not expose them.
/// </summary>
internal static unsafe partial class LibRdKafka
{
    private const string Library = "librdkafka";

    private static int _resolverInstalled;

    [LibraryImport(Library)]
    internal static partial nint rd_kafka_conf_new();

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int rd_kafka_conf_set(nint conf, string name, string value, byte[] errstr, nuint errstrSize);

    [LibraryImport(Library)]
    internal static partial void rd_kafka_conf_set_log_cb(nint conf, delegate* unmanaged<nint, int, byte*, byte*, void> logCallback);

    [LibraryImport(Library)]
    internal static partial nint rd_kafka_new(int type, nint conf, byte[] errstr, nuint errstrSize);

    [LibraryImport(Library)]
    internal static partial void rd_kafka_destroy(nint handle);

    [LibraryImport(Library)]
    internal static partial nint rd_kafka_err2str(int error);

    [LibraryImport(Library)]
    internal static partial nint rd_kafka_mock_cluster_new(nint handle, int brokerCount);

    [LibraryImport(Library)]
    internal static partial void rd_kafka_mock_cluster_destroy(nint cluster);

    [LibraryImport(Library)]
    internal static partial nint rd_kafka_mock_cluster_bootstraps(nint cluster);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int rd_kafka_mock_topic_create(nint cluster, string topic, int partitionCount, int replicationFactor);

    [LibraryImport(Library)]
    internal static partial int rd_kafka_mock_broker_set_down(nint cluster, int brokerId);

    [LibraryImport(Library)]
    internal static partial int rd_kafka_mock_broker_set_up(nint cluster, int brokerId);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int rd_kafka_mock_broker_set_host_port(nint cluster, int brokerId, string host, int port);

    [LibraryImport(Library)]
    internal static partial void rd_kafka_mock_group_initial_rebalance_delay_ms(nint cluster, int delayMs);

    [LibraryImport(Library)]
    internal static partial void rd_kafka_mock_push_request_errors_array(nint cluster, short apiKey, nuint count, int* errors);

    /// <summary>
    /// Points <see cref="Library"/> at the librdkafka build that loads on this machine.
    /// </summary>
    /// <remarks>
    /// librdkafka.redist ships several Linux builds; the default one needs libsasl2.so.3, which Debian 12
    /// lacks, while the centos8 build loads. Confluent.Kafka probes the same way; we must do it ourselves
    /// for our own P/Invoke.
    /// </remarks>
    internal static void EnsureResolver()
    {
        if (Interlocked.Exchange(ref _resolverInstalled, 1) == 0)
        {
            NativeLibrary.SetDllImportResolver(typeof(LibRdKafka).Assembly, Resolve);
        }
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != Library)
        {
            return 0;
        }

        var tried = new List<string>();
        foreach (var candidate in Candidates())
        {
            tried.Add(candidate);
            if (File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out var handle))
            {
                return handle;
            }
        }

        throw new DllNotFoundException($"No librdkafka build loads on this machine; tried: {string.Join(", ", tried)}.");
    }

    private static IEnumerable<string> Candidates()
    {
        var nativeFolder = Path.Combine(AppContext.BaseDirectory, "runtimes", RuntimeInformation.RuntimeIdentifier, "native");
        var fallbackFolder = Path.Combine(AppContext.BaseDirectory, "runtimes", PortableRuntimeIdentifier(), "native");
        string[] files = OperatingSystem.IsWindows() ? ["librdkafka.dll"]
            : OperatingSystem.IsMacOS() ? ["librdkafka.dylib"]
            : ["librdkafka.so", "centos8-librdkafka.so", "alpine-librdkafka.so"];

        foreach (var folder in new[] { nativeFolder, fallbackFolder, AppContext.BaseDirectory }.Distinct())
        {
            foreach (var file in files)
            {
                yield return Path.Combine(folder, file);
            }
        }
    }

    private static string PortableRuntimeIdentifier()
    {
        var os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
        return $"{os}-{RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()}";
    }
}
