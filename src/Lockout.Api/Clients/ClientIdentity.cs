using System.Net;
using Lockout.Events;
using Microsoft.Extensions.Options;

namespace Lockout.Api.Clients;

/// <summary>The source of a request (see <see cref="ClientSource"/>) and whether it is on the throttle's allow-list.</summary>
/// <remarks>
/// The address is the connection's after ASP.NET Core's forwarded-headers middleware, which takes
/// <c>X-Forwarded-For</c> only from the trusted proxies (<see cref="ClientOptions.TrustedProxies"/>).
/// </remarks>
public sealed class ClientIdentity(IOptions<ClientOptions> options)
{
    private readonly IPNetwork[] _allowList = [.. options.Value.Throttle.AllowList.Select(network => IPNetwork.Parse(network))];

    public RequestSource Of(HttpContext context)
    {
        var address = context.Connection.RemoteIpAddress ?? IPAddress.IPv6None;
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        return new RequestSource(ClientSource.Of(address), _allowList.Any(network => network.Contains(address)));
    }
}

/// <param name="Source">The address, or IPv6 /64, failures are counted against.</param>
/// <param name="AllowListed">Never throttled.</param>
public readonly record struct RequestSource(string Source, bool AllowListed);
