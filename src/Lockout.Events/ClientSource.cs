using System.Net;
using System.Net.Sockets;

namespace Lockout.Events;

/// <summary>
/// Who is asking, as Lockout counts it: an IPv4 address, or the /64 prefix of an IPv6 address (one IPv6 client
/// usually holds a whole /64, so counting single addresses would let it choose a new one per attempt).
/// </summary>
public static class ClientSource
{
    /// <summary>The longest text a source can be ("ffff:ffff:ffff:ffff::/64").</summary>
    public const int MaxLength = 24;

    /// <summary>The source of an address: IPv4 (also when mapped into IPv6) as is, IPv6 as its /64 prefix.</summary>
    public static string Of(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return address.ToString();
        }

        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return $"{new IPAddress(bytes)}/64";
    }

    /// <summary>Parses what an admin or an event names: an address (made into its source) or a source as <see cref="Of"/> writes it.</summary>
    public static bool TryParse(string? text, out string source)
    {
        source = "";
        if (string.IsNullOrEmpty(text) || text.Length > 64)
        {
            return false;
        }

        var address = text.EndsWith("/64", StringComparison.Ordinal) ? text[..^3] : text;
        if (!IPAddress.TryParse(address, out var parsed) || (text.EndsWith("/64", StringComparison.Ordinal) && parsed.AddressFamily != AddressFamily.InterNetworkV6))
        {
            return false;
        }

        source = Of(parsed);
        return true;
    }

    /// <summary>True when <paramref name="source"/> is a source exactly as <see cref="Of"/> writes it.</summary>
    public static bool IsValid(string source) => TryParse(source, out var parsed) && parsed == source;
}
