using System.Globalization;

namespace Lockout.Benchmarks.Load;

/// <summary>
/// Client addresses for one generator to act as many sources through <c>X-Forwarded-For</c>: only the ranges set
/// aside for documentation, so no real network is named. IPv4 first (TEST-NET-1, -2, -3: 192.0.2.0/24,
/// 198.51.100.0/24, 203.0.113.0/24, hosts .1 to .254), then IPv6 2001:db8::/32, one /64 each (Lockout counts IPv6
/// per /64), for as many more as a scenario needs.
/// </summary>
internal static class DocumentationSources
{
    private static readonly string[] Ipv4Networks = ["192.0.2", "198.51.100", "203.0.113"];
    private const int HostsPerNetwork = 254;

    /// <summary>Distinct sources that IPv4 alone gives.</summary>
    public const int Ipv4Count = 3 * HostsPerNetwork;

    /// <summary>The <paramref name="index"/>-th source; <paramref name="index"/> ≥ 0, distinct for distinct indexes.</summary>
    public static string Address(int index) => index < Ipv4Count
        ? $"{Ipv4Networks[index / HostsPerNetwork]}.{(index % HostsPerNetwork) + 1}"
        : string.Create(CultureInfo.InvariantCulture, $"2001:db8:{(index - Ipv4Count) / 0x10000:x}:{(index - Ipv4Count) % 0x10000:x}::1");
}
